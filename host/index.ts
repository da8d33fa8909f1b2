/**
 * The public surface of hypernet-host as a library: what the CLI is built from, and what a
 * plugin author's tests or another program may use. Everything else is internal.
 */

export { HypernetError, isHypernetError } from './errors.ts'
export type { HypernetErrorCode } from './errors.ts'
export { ABI_VERSION, LIMITS, MANIFEST_SCHEMA_ID, NAMESPACE } from './constants.ts'
export { decodeId, formatId, parseHash, parseKey } from './encoding/ids.ts'

// manifests and verification
export type { Manifest, ManifestBody, ServiceDecl, Permissions, Limits } from './manifest/types.ts'
export { codeHash, serviceHash } from './manifest/hashes.ts'
export { generateKeyPair, signManifest, verifyManifestSignature } from './manifest/signing.ts'
export { signApp } from './manifest/sign-app.ts'
export { validateManifest } from './manifest/validate.ts'
export { auditApp, verifyApp } from './audit/audit-app.ts'
export type { AuditReport, VerifiedApp } from './audit/audit-app.ts'

// the store
export { createAppStore } from './store/app-store.ts'
export type { AppStore, InstalledApp } from './store/app-store.ts'

// plugins: the runtime and the harness for plugin authors' tests
export { createHarness, createPluginRuntime } from './plugins/index.ts'
export type { Harness, PluginRuntime, PluginStatus } from './plugins/index.ts'

// the host and the p2p DNS
export { createHost, Host } from './daemon/host.ts'
export type { HostInit } from './daemon/host.ts'
export type { HostStatus } from './daemon/host-status.ts'
export { lookupVerified } from './dns/lookup.ts'
export type { LookupPeer } from './dns/lookup.ts'
export { startLocalNetwork } from './net/dht-node.ts'

// bridges, NAT traversal and relays
export { bridgeServiceHash } from './bridge/bridge-service-hash.ts'
export type { BridgeStatus } from './bridge/bridge-manager.ts'
export { connectWithRelay } from './net/relay-connect.ts'
export { netcheck } from './net/netcheck.ts'
export type { NetcheckReport } from './net/netcheck.ts'
