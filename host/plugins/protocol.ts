import type { ManifestBody } from '../manifest/index.ts'
import type { PluginQuotas } from './plugin-limits.ts'
import { RUNTIME_LIMITS } from './plugin-limits.ts'

/**
 * What the host thread and a plugin's worker say to each other: ops (op, conn, arg) in a ring
 * per direction in one SharedArrayBuffer (see RING and op-ring.ts), in order. An arg is a number,
 * bytes (DATA, SEND, the OPEN buffers) or, for the rare structured ones (CONNECT, LOG, FATAL),
 * JSON. Ops on one connection keep their order; so do all ops of one direction.
 */

/** Host thread -> worker. */
export const TO_WORKER = {
  /** arg: ArrayBuffer = 32-byte peer key || UTF-8 service name (the hn_on_open buffer). */
  OPEN_INBOUND: 1,
  /** An hn_connect completed; arg as OPEN_INBOUND. */
  OPEN_OUTBOUND: 2,
  /** arg: bytes, at most RING.maxPayloadBytes (= RUNTIME_LIMITS.maxDataBytes). */
  DATA: 3,
  /** arg: close reason. The worker answers FIN once the plugin saw hn_on_close. */
  CLOSE: 4,
  /** arg: bytes of this connection's sends the stream took (they left the in-flight window). */
  CREDIT: 5,
  /** Graceful stop: hn_on_close(SHUTDOWN) for every connection, then STOPPED. */
  STOP: 6,
  /** A peer host joined a mesh the plugin joined (hn_on_open kind 2); arg as OPEN_INBOUND, the name being the joined target. */
  OPEN_MESH: 7
} as const

/** Worker -> host thread. */
export const FROM_WORKER = {
  /** The plugin started (hn_on_start returned 0). */
  READY: 1,
  /** arg: { code, message }. The plugin is unusable; terminate the worker. */
  FATAL: 2,
  /** arg: bytes to write to the stream, at most RING.maxPayloadBytes (a larger hn_send is split). */
  SEND: 3,
  /** The plugin called hn_close: end the stream after what was sent. */
  END: 4,
  /** The plugin saw hn_on_close: the id is free, end the stream if still open. */
  FIN: 5,
  /** arg: 1 paused, 0 resumed (hn_pause). */
  PAUSE: 6,
  /** arg: inbound bytes the plugin consumed (they left the inbound window). */
  ACK: 7,
  /** arg: DialTargetWire. The plugin called hn_connect; conn is the id it was given. */
  CONNECT: 8,
  /** conn: level 0-3, arg: the line. */
  LOG: 9,
  /** arg: what was denied, for the log. */
  DENIED: 10,
  /** conn: the return code, arg: the export that returned it. */
  EVENT_ERROR: 11,
  /** Answer to STOP. */
  STOPPED: 12,
  /** conn: log lines or denials the worker dropped (over RUNTIME_LIMITS.logLinesPerSecond). */
  DROPPED: 13,
  /** conn: the mesh id hn_mesh_join returned, arg: MeshTargetWire. */
  MESH_JOIN: 14,
  /** conn: the mesh id. Its peers' connections end (END). */
  MESH_LEAVE: 15
} as const

/** A DialTarget as it crosses the thread boundary. */
export interface DialTargetWire {
  raw: string
  serviceHash: string
  serviceKey: string | null
  self: string | null
}

/** A checked hn_mesh_join target as it crosses the thread boundary. */
export interface MeshTargetWire {
  raw: string
  serviceHash: string
}

/** workerData of a plugin worker. */
export interface WorkerInit {
  app: string
  /** Module bytes with the memory cap applied. */
  wasm: Uint8Array
  manifest: ManifestBody
  codeHash: string
  callTimeoutMs: number
  timers: boolean
  quotas: PluginQuotas
  storage: { dir: string; quotaBytes: number } | null
  /** Shared call stamp (see STAMP). */
  stamp: SharedArrayBuffer
  /** The two op rings and their control words (see RING). */
  ring: SharedArrayBuffer
}

/**
 * Layout of the op rings' SharedArrayBuffer: control words (Int32 indexes, each on its own
 * 64-byte line, since each is written by one thread and read by the other), then the ring to
 * the worker, then the ring from it. Ring positions are byte counters that wrap at 2^32.
 */
export const RING = {
  toWorkerBytes: 1024 * 1024,
  fromWorkerBytes: 1024 * 1024,
  /** Largest bytes arg of one op (the largest DATA or SEND); at most a quarter of a ring, so a record always fits an empty ring. */
  maxPayloadBytes: RUNTIME_LIMITS.maxDataBytes,
  controlBytes: 16 * 64,
  /** Write position of the ring to the worker. */
  toWorkerHead: 0,
  toWorkerTail: 16,
  /** Write position of the ring from the worker. */
  fromWorkerHead: 32,
  fromWorkerTail: 48,
  /** WORKER_STATE: what the host thread must do to get the worker's attention. */
  workerState: 64,
  /** 1 while the host thread's Atomics.waitAsync is armed (notify it), 0 while it runs. */
  hostSleeping: 80,
  /** 1 while the worker has a connection waiting for send credit: CREDIT ops wake it. */
  wantCredit: 96,
  /** 1 while the host thread holds a stream paused for its inbound window: ACK ops wake it. */
  wantAcks: 112,
  /** 1 while the producer of that ring waits for space (the consumer wakes it after reading). */
  toWorkerFull: 128,
  fromWorkerFull: 144,
  /**
   * Bumped by every wake-up of that thread, which waits on it (Atomics.wait in the worker,
   * Atomics.waitAsync on the host thread) with the value it read before it last looked at its
   * ring: a wake-up that came in between is never lost, whether ops or room brought it.
   */
  hostBell: 160,
  workerBell: 176
} as const

/** The worker's attention, in RING.workerState. */
export const WORKER_STATE = {
  /** Running or spinning: it reads the ring before it sleeps; nothing to do. */
  RUNNING: 0,
  /** In Atomics.wait on RING.workerBell: ring the bell and Atomics.notify it. */
  WAITING: 1,
  /** Idle in its event loop: post it a message (a doorbell). */
  COLD: 2
} as const

/**
 * Layout of the call stamp the worker writes around every call into the plugin and the host
 * thread reads to enforce the deadline: Float64 [0] = start time (performance.timeOrigin +
 * performance.now(), 0 when idle); Int32 [2] = which export is running (EXPORT_NAMES index).
 */
export const STAMP = { bytes: 16, startF64: 0, exportI32: 2 } as const

/** Calls into a plugin, by id in the stamp. */
export const EXPORT_NAMES = [
  'instantiation',
  'hn_abi_version',
  'hn_on_start',
  'hn_buffer',
  'hn_on_open',
  'hn_on_data',
  'hn_on_close',
  'hn_on_drain',
  'hn_on_timer'
] as const

export type ExportName = (typeof EXPORT_NAMES)[number]
