import { LIMITS, PLUGIN_QUOTAS } from '../constants.ts'
import type { PluginQuotaName } from '../constants.ts'
import type { ManifestBody } from '../manifest/index.ts'

/**
 * The limits a plugin actually runs under: what its manifest asks for, capped by host policy
 * (LIMITS). Absent means the default; a request above the cap gets the cap, never more.
 */

export interface PluginLimits {
  memoryMiB: number
  /** Largest linear memory in 64 KiB pages. */
  memoryPages: number
  callTimeoutMs: number
  /** Storage quota in bytes, or null when the manifest grants no storage. */
  storageQuotaBytes: number | null
  timers: boolean
  /** Per-plugin quotas (PLUGIN_QUOTAS): the manifest's ask, or the default, capped at the max. */
  quotas: PluginQuotas
}

export type PluginQuotas = Record<PluginQuotaName, number>

/** Host-side budgets that no manifest can change. */
export const RUNTIME_LIMITS = {
  /** Bytes in flight from the peer to one plugin (all its connections) before streams pause. */
  pluginInboundBytes: 16 * 1024 * 1024,
  /** Bytes one plugin may have in flight on all its connections before hn_send returns EAGAIN. */
  pluginOutboundBytes: 16 * 1024 * 1024,
  /** Bytes in flight from the peer on one connection before its stream pauses. */
  connInboundBytes: 1024 * 1024,
  /** Largest single hn_on_data delivery (sdk/ABI.md "Limits"). */
  maxDataBytes: 256 * 1024,
  /**
   * Bytes a paused stream may buffer on the host before the connection is cut. Pausing holds
   * back TCP and in-memory peers, but UDX (HyperDHT) has no receive window: a peer that keeps
   * writing into a paused stream would otherwise grow host memory without bound.
   */
  maxPausedBufferBytes: 8 * 1024 * 1024,
  maxSendBytes: 1024 * 1024,
  maxKeyBytes: 256,
  maxValueBytes: 64 * 1024,
  maxLogBytes: 4096,
  maxRandomBytes: 64 * 1024,
  maxTargetBytes: 1024,
  /**
   * Plugin log lines per second the worker passes to the host thread; the rest are dropped
   * there and counted. The host thread then applies PLUGIN_LOG to all of a plugin's lines.
   */
  logLinesPerSecond: 200,
  /** JS heap of a plugin's worker; wasm memory is capped separately, in the module. */
  workerOldGenMiB: 64,
  workerYoungGenMiB: 8,
  /** From spawning a worker to the plugin's hn_on_start returning. */
  startTimeoutMs: 15_000,
  /** How long a stopping plugin gets to see its connections close before it is terminated. */
  stopTimeoutMs: 2_000,
  /** After its last op, how long a worker sleeps in Atomics.wait (quick to wake) before it goes idle in its event loop (worker-loop.ts). */
  workerHotMs: 20,
  /** Longest Atomics.wait at a time: a hot worker's own timers run late by at most this. */
  workerSliceMs: 1,
  /**
   * How long a worker spins on the ring before it sleeps, only while the gaps between ops are
   * about this short (a connection in a quick exchange): up to a core per such plugin, while it
   * lasts (docs/performance.md). A 64-byte echo's gaps include the host thread's own wake-up:
   * 50 µs never caught them here, 100 µs only on a quiet machine, 200 µs under load too.
   */
  workerSpinMicros: 200
} as const

const PAGE = 64 * 1024

/** Effective limits for `manifest`. */
export function resolvePluginLimits(manifest: ManifestBody): PluginLimits {
  const memoryMiB = clamp(manifest.limits?.memoryMiB ?? LIMITS.defaultMemoryMiB, 1, LIMITS.maxMemoryMiB)
  const callTimeoutMs = clamp(manifest.limits?.callTimeoutMs ?? LIMITS.defaultCallTimeoutMs, 1, LIMITS.maxCallTimeoutMs)
  const storage = manifest.permissions?.storage
  const storageQuotaBytes = storage ? clamp(storage.quotaBytes ?? LIMITS.defaultStorageBytes, 0, LIMITS.maxStorageBytes) : null
  return {
    memoryMiB,
    memoryPages: Math.floor((memoryMiB * 1024 * 1024) / PAGE),
    callTimeoutMs,
    storageQuotaBytes,
    timers: manifest.permissions?.timers === true,
    quotas: resolveQuotas(manifest)
  }
}

/** The quotas a plugin runs under: each the manifest's ask (at least 1), else the default, at most the max. */
export function resolveQuotas(manifest: ManifestBody): PluginQuotas {
  const out = {} as PluginQuotas
  for (const name of Object.keys(PLUGIN_QUOTAS) as PluginQuotaName[]) {
    const q = PLUGIN_QUOTAS[name]
    out[name] = clamp(manifest.limits?.[name] ?? q.default, 1, q.max)
  }
  return out
}

function clamp(n: number, lo: number, hi: number): number {
  if (!Number.isFinite(n)) return hi
  return Math.min(hi, Math.max(lo, Math.floor(n)))
}
