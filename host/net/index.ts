/**
 * Networking on HyperDHT: the node, service keys and listeners, dialing by service hash,
 * blind relays for peers behind hard NATs, connection paths and netcheck.
 */
export { PathTracker } from './connection-path.ts'
export type { ConnectionPath, PathInfo } from './connection-path.ts'
export { bindDhtNode, createDhtNode, parseBootstrap, startBootstrapNode, startLocalNetwork } from './dht-node.ts'
export type { LocalNetwork } from './dht-node.ts'
export { DialCache, abortable } from './dial-cache.ts'
export { connectKey, dialServiceHash } from './dialer.ts'
export { listenServer } from './listen-server.ts'
export { netcheck } from './netcheck.ts'
export type { NetcheckReport } from './netcheck.ts'
export { connectWithRelay } from './relay-connect.ts'
export { RelayDirectory } from './relay-directory.ts'
export type { KnownRelay } from './relay-directory.ts'
export { RelayServer, relayKeyPair } from './relay-server.ts'
export type { RelayLimits, RelayStatus } from './relay-server.ts'
export { deriveServiceKeyPair } from './service-keys.ts'
export { DEFAULT_POLICY, ServiceListener } from './service-listener.ts'
export type { ConnectionPolicy } from './service-listener.ts'
export { LanDiscovery } from './lan-discovery.ts'
export type { LanDiscoveryInit, LanStatus } from './lan-discovery.ts'
export { advertisedAddress, firstLanAddress, isLocalAddress } from './interfaces.ts'
