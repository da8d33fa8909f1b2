/**
 * Bridges between TCP and Hypernet services: listen bridges (a local port that dials a
 * service), expose bridges (a local TCP service offered as one), kept in <home>/bridges.json.
 */
export type { BridgeConnectionStatus } from './bridge-ledger.ts'
export { BridgeManager } from './bridge-manager.ts'
export type { BridgeStatus } from './bridge-manager.ts'
export { bridgeServiceHash } from './bridge-service-hash.ts'
export { BridgeStore, anonymousRefused, bridgeId, hiddenRefused, validateBridge } from './bridge-store.ts'
export type { BridgeConfig } from './bridge-store.ts'
export type { BridgeDial } from './listen-bridge.ts'
export { formatHostPort } from './parse-address.ts'
