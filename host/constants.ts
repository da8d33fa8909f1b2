import { createHash } from 'node:crypto'

/** Namespace tags: 32-byte prefixes that bind a hash or a signature to one purpose. */
function ns(name: string): Buffer {
  return createHash('sha256').update(`hypernet/${name}`).digest()
}

export const NAMESPACE = {
  /** Prefix of the bytes a publisher signs for a manifest. */
  MANIFEST: ns('manifest/v1'),
  /** Prefix of a service hash: SHA-256(SERVICE || code hash || utf8(service name)). */
  SERVICE: ns('service/v1'),
  /** Seed derivation for a service's connection key pair. */
  SERVICE_KEY: ns('service-key/v1'),
  /** Prefix of the bytes a host signs for its descriptor. */
  DESCRIPTOR: ns('descriptor/v1'),
  /** Topic under which an app is announced by code hash. */
  APP_TOPIC: ns('app-topic/v1')
} as const

/** The manifest schema identifier every manifest carries in its `schema` field. */
export const MANIFEST_SCHEMA_ID = 'hypernet/manifest@1'

/** The plugin ABI versions this host can run. */
export const ABI_VERSIONS = [1] as const
export const ABI_VERSION = 1

/** Host policy defaults; a manifest may ask for less, never for more. */
export const LIMITS = {
  /** Largest linear memory a plugin may have, in MiB. */
  maxMemoryMiB: 256,
  /** Memory a plugin gets when its manifest asks for nothing. */
  defaultMemoryMiB: 16,
  /** Longest a single call into a plugin may run, in ms. */
  maxCallTimeoutMs: 5000,
  defaultCallTimeoutMs: 200,
  /** Per-app persistent storage quota when the manifest asks for none, in bytes. */
  defaultStorageBytes: 1024 * 1024,
  maxStorageBytes: 64 * 1024 * 1024,
  /** Bytes a plugin may have in flight on one connection before hn_send returns EAGAIN. */
  sendHighWaterBytes: 1024 * 1024,
  /** Most connections one plugin may hold open. */
  maxConnectionsPerPlugin: 4096,
  maxTimersPerPlugin: 1024,
  /** Largest wasm module accepted, in bytes. */
  maxWasmBytes: 64 * 1024 * 1024,
  /** Largest manifest accepted, in bytes. */
  maxManifestBytes: 256 * 1024
} as const

/** Restart policy for crashed plugins. */
export const RESTART: { readonly initialBackoffMs: number; readonly maxBackoffMs: number; readonly maxCrashes: number; readonly windowMs: number } = {
  initialBackoffMs: 100,
  maxBackoffMs: 10_000,
  /** This many crashes inside `windowMs` marks a plugin failed until an operator acts. */
  maxCrashes: 5,
  windowMs: 60_000
}
