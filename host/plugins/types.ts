import type { HypernetErrorCode } from '../errors.ts'
import type { ManifestBody } from '../manifest/index.ts'
import type { PluginQuotas } from './plugin-limits.ts'

/**
 * Public shapes of the plugin runtime: what it is given (apps, streams, a dialer, a logger) and
 * what it reports (status, log entries). Streams are abstract so networking plugs in later.
 */

/** Lifecycle of one app's plugin; `idle`: an on-demand app with no worker, started by its next connection. */
export type PluginState = 'idle' | 'starting' | 'running' | 'crashed' | 'backoff' | 'failed' | 'stopped'

export type { DuplexLike } from '../types/duplex.ts'
import type { DuplexLike } from '../types/duplex.ts'

/** An app as the runtime runs it: a manifest whose checks already passed, and its wasm. */
export interface RunnableApp {
  manifest: ManifestBody
  /** The published bytes; the runtime never modifies them (it works on a copy). */
  wasm: Uint8Array
  /**
   * Run on demand: no worker until the first inbound connection, stopped again after this many
   * ms unused (on-demand.ts). Absent or 0: started at once and kept running.
   */
  idleStopMs?: number
}

/** Who is dialing: the app's name and code hash (hex). */
export interface AppRef {
  name: string
  codeHash: string
}

/**
 * A checked `hn_connect` target. `self` names this app's own service when the plugin asked for
 * `self/<name>`; `serviceKey` is set when it asked for `<service hash>@<service key>`.
 */
export interface DialTarget {
  raw: string
  serviceHash: Buffer
  serviceKey: Buffer | null
  self: string | null
}

/**
 * Opens an outbound stream for a plugin. Resolve with an open stream (its `remotePublicKey`
 * set); reject when no peer can be reached. The plugin sees a rejection as REFUSED. The
 * runtime attaches its listeners when the promise settles: a stream that can fail before
 * then must carry an 'error' listener of its own. `signal` aborts when the plugin gave up the
 * dial or stopped: stop looking up and connecting, destroy what was opened, and reject.
 */
export type DialFn = (target: DialTarget, app: AppRef, signal: AbortSignal) => Promise<DuplexLike>

/** A checked hn_mesh_join target: what the plugin asked for, and the service hash it names. */
export interface MeshTarget {
  raw: string
  serviceHash: Buffer
}

/** A joined mesh; `leave()` ends every peer stream it gave (idempotent). */
export interface MeshHandle {
  leave(): void
}

/**
 * Joins a mesh for a plugin: `onPeer` gets one stream per verified peer host (its
 * `remotePublicKey` the peer's host key), as each connects. Throws (a HypernetError) when the
 * host cannot join it; the plugin then simply meets nobody, and the error is logged.
 */
export type MeshFn = (target: MeshTarget, app: AppRef, onPeer: (stream: DuplexLike) => void) => MeshHandle

export type LogLevel = 'debug' | 'info' | 'warn' | 'error'

/** One line of the runtime's log: state changes, plugin log lines, denied calls, refusals. */
export interface RuntimeLogEntry {
  level: LogLevel
  app: string
  /** `state`: a lifecycle change; `plugin`: a line the plugin logged; `denied`: a call the manifest does not grant; `host`: anything else. */
  kind: 'state' | 'plugin' | 'denied' | 'host'
  msg: string
  state?: PluginState
  code?: HypernetErrorCode
  time: number
}

export type RuntimeLogger = (entry: RuntimeLogEntry) => void

/** The last error that stopped a plugin. */
export interface PluginErrorInfo {
  code: HypernetErrorCode
  message: string
  /** ISO 8601 time it happened. */
  at: string
}

/** A snapshot of one app's plugin, as `status` shows it. */
export interface PluginStatus {
  app: string
  state: PluginState
  /** Times the plugin was started again after its first start (crash restarts and operator restarts). */
  restarts: number
  /** Crashes inside the current restart window (RESTART.windowMs). */
  recentCrashes: number
  lastError: PluginErrorInfo | null
  connections: number
  /** Bytes peers sent to the plugin, and bytes the plugin sent, since the app was added. */
  bytesIn: number
  bytesOut: number
  /** ISO 8601 time of the last state change. */
  since: string
  /** Log lines of this plugin dropped over PLUGIN_LOG (or the worker's cap) since it was added. */
  droppedLogLines: number
  /** On-demand apps only: the idle period (ms), starts caused by connections, connections waiting for a start now. */
  idleStopMs?: number
  wakes?: number
  waiting?: number
  /** Effective limits after the host's caps, quotas included (constants.ts PLUGIN_QUOTAS). */
  limits: { memoryMiB: number; callTimeoutMs: number; storageQuotaBytes: number | null } & PluginQuotas
}
