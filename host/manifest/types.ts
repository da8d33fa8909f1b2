/** A service an app vends: reachable by peers at its own key, advertised by its service hash. */
export interface ServiceDecl {
  name: string
  port: number
  protocol: 'stream'
  description?: string
}

/** What an app asks to be allowed to do. Anything absent is denied. */
export interface Permissions {
  /** Services the app may dial: `self/<service>` or a service hash. Empty or absent: none. */
  dial?: string[]
  /** Persistent per-app storage; absent means no storage. */
  storage?: { quotaBytes: number }
  /** Whether the app may set timers. */
  timers?: boolean
  /**
   * Meshes the app may join (hn_mesh_join): `self/<service>` (its own service's instances on other
   * hosts) or a service hash. Empty or absent: none.
   */
  mesh?: string[]
}

/** Resources the app asks for; the host caps both. */
export interface Limits {
  memoryMiB?: number
  callTimeoutMs?: number
  /** Per-plugin quotas above the host's defaults (constants.ts PLUGIN_QUOTAS); the host caps each. */
  dialsInFlight?: number
  dialsPerSecond?: number
  connections?: number
  bytesInPerSecond?: number
  bytesOutPerSecond?: number
  /** Idle connections to its services are closed after this long (host default 5 minutes). */
  idleTimeoutMs?: number
}

/** The manifest body: everything the publisher signs. */
export interface ManifestBody {
  schema: string
  app: { name: string; version: string; description?: string }
  code: { hash: string; abi: number }
  publisher: string
  services: ServiceDecl[]
  permissions: Permissions
  limits: Limits
  /** ISO 8601 time after which the manifest is no longer valid. */
  expires?: string
  /** false: the publisher forbids other hosts to serve this code (only the publisher's own channels may). Absent: may be served. */
  redistribute?: boolean
  /** Code hashes this release replaces: clients that pin one may follow the link to this one. */
  supersedes?: string[]
}

/** A signed manifest as it is stored on disk. */
export interface Manifest extends ManifestBody {
  signature: string
}
