/**
 * The public surface of hypernet-host as a library: what the CLI is built from, and what a
 * plugin author's tests or another program may use. Everything else is internal.
 */

export { HypernetError, isHypernetError } from './errors.ts'
export type { HypernetErrorCode } from './errors.ts'
export { ABI_VERSION, LIMITS, MANIFEST_SCHEMA_ID, NAMESPACE } from './constants.ts'
export { decodeId, formatId, parseHash, parseKey } from './encoding/ids.ts'

// manifests and verification
export type { Manifest, ManifestBody, ServiceDecl, Permissions, Limits } from './manifest/index.ts'
export { codeHash, serviceHash } from './manifest/index.ts'
export { generateKeyPair, signManifest, verifyManifestSignature } from './manifest/index.ts'
export { signApp } from './manifest/index.ts'
export { validateManifest } from './manifest/index.ts'
export { auditApp, verifyApp } from './audit/index.ts'
export type { AuditReport, VerifiedApp } from './audit/index.ts'

// the store
export { createAppStore } from './store/index.ts'
export type { AppStore, InstalledApp } from './store/index.ts'

// plugins: the runtime and the harness for plugin authors' tests
export { createDuplexPair, createHarness, createPluginRuntime } from './plugins/index.ts'
export type { Harness, PluginRuntime, PluginStatus } from './plugins/index.ts'

// the host and the p2p DNS
export { createHost, Host } from './daemon/index.ts'
export type { HostInit } from './daemon/index.ts'
export type { HostStatus } from './daemon/index.ts'
export { lookupVerified } from './dns/index.ts'
export type { LookupPeer } from './dns/index.ts'
export { startLocalNetwork } from './net/index.ts'

// bridges, NAT traversal and relays
export { bridgeServiceHash } from './bridge/index.ts'
export type { BridgeStatus } from './bridge/index.ts'
export { connectWithRelay } from './net/index.ts'
export { netcheck } from './net/index.ts'
export type { NetcheckReport } from './net/index.ts'
