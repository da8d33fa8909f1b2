import { PLUGIN_LOG, RESTART } from '../constants.ts'
import { formatId } from '../encoding/ids.ts'
import { HypernetError } from '../errors.ts'
import type { HypernetErrorCode } from '../errors.ts'
import { codeHash } from '../manifest/index.ts'
import { ConnectionTable } from './connection-table.ts'
import { LogLimiter } from './log-limiter.ts'
import { capModuleMemory } from './memory-cap.ts'
import { OnDemand } from './on-demand.ts'
import { resolvePluginLimits } from './plugin-limits.ts'
import type { PluginLimits } from './plugin-limits.ts'
import { WorkerChannel } from './worker-channel.ts'
import type { DialFn, DuplexLike, MeshFn, LogLevel, PluginErrorInfo, PluginState, PluginStatus, RunnableApp, RuntimeLogEntry } from './types.ts'

/**
 * Keeps one app's plugin alive: starts an incarnation (worker + connections), and when it dies
 * (trap, deadline, memory, failed start) destroys its connections with the error, then starts
 * it again after an exponential backoff (RESTART). RESTART.maxCrashes crashes inside
 * RESTART.windowMs mark it `failed`; so does any refusal (the module can never run: bad wasm,
 * memory policy, missing exports, wrong ABI), at once. A failed plugin stays down until an
 * operator calls restart(). An app given `idleStopMs` runs on demand (on-demand.ts): `idle`
 * with no worker until a connection arrives, and back to `idle` after that long unused.
 */

export interface SupervisorContext {
  workerSource: () => URL
  storageDir: string | null
  dial: DialFn | undefined
  mesh?: MeshFn
  restart: typeof RESTART
  log: (entry: RuntimeLogEntry) => void
  onState: (status: PluginStatus) => void
}

/** Codes that mean the module can never run as it is: no restart. PLUGIN_FAILED from the worker: a host function called from top-level code. */
const REFUSALS = new Set<HypernetErrorCode>(['WASM_INVALID', 'MEMORY_LIMIT', 'EXPORT_MISSING', 'IMPORT_NOT_ALLOWED', 'ABI_UNSUPPORTED', 'AUDIT_FAILED', 'USAGE', 'PLUGIN_FAILED'])

export class PluginSupervisor {
  readonly name: string
  readonly limits: PluginLimits
  readonly services: ReadonlySet<string>
  private state: PluginState = 'stopped'
  private since = new Date()
  private readonly codeHash: string
  private capped: Uint8Array | null = null
  private refusal: HypernetError | null = null
  private channel: WorkerChannel | null = null
  private table: ConnectionTable | null = null
  private crashes: number[] = []
  private restarts = 0
  private starts = 0
  private lastError: PluginErrorInfo | null = null
  private lastCrash: HypernetError | null = null
  private readonly counters = { bytesIn: 0, bytesOut: 0 }
  private backoff: NodeJS.Timeout | null = null
  private generation = 0
  private starting: Promise<PluginStatus> | null = null
  private readonly logLimit = new LogLimiter(PLUGIN_LOG.linesPerSecond, PLUGIN_LOG.bytesPerSecond)
  private readonly onDemand: OnDemand | null

  constructor(private readonly app: RunnableApp, private readonly ctx: SupervisorContext) {
    this.name = app.manifest.app.name
    this.onDemand =
      app.idleStopMs && app.idleStopMs > 0
        ? new OnDemand({
            name: this.name,
            idleStopMs: app.idleStopMs,
            start: () => this.start(),
            sleep: () => this.halt('idle'),
            deliver: (service, stream) => this.accept(service, stream),
            activity: () => ({ open: this.table?.size ?? 0, tick: this.counters.bytesIn + this.counters.bytesOut + (this.table?.opened ?? 0) }),
            log: (level, msg) => this.ctx.log({ level, app: this.name, kind: 'host', msg, time: Date.now() })
          })
        : null
    this.services = new Set((app.manifest.services ?? []).map((s) => s.name))
    this.limits = resolvePluginLimits(app.manifest)
    this.codeHash = formatId(codeHash(app.wasm))
    try {
      this.capped = capModuleMemory(app.wasm, this.limits.memoryPages, this.name).bytes
    } catch (err) {
      this.refusal = err as HypernetError
    }
    if (this.limits.storageQuotaBytes !== null && ctx.storageDir === null) {
      this.refusal ??= HypernetError.USAGE(`${this.name}: its manifest grants storage but the runtime was given no storageDir`)
    }
  }

  /**
   * Start (or join a start in progress). Resolves with the status once running.
   * @throws the refusal (WASM_INVALID, MEMORY_LIMIT, EXPORT_MISSING, IMPORT_NOT_ALLOWED,
   *   ABI_UNSUPPORTED, USAGE, PLUGIN_FAILED) with the plugin left `failed`, or the crash (PLUGIN_CRASHED,
   *   PLUGIN_TIMEOUT, INTERNAL) with the plugin restarting in the background
   */
  start(): Promise<PluginStatus> {
    if (this.state === 'running') return Promise.resolve(this.status())
    if (this.starting) return this.starting
    if (this.backoff) clearTimeout(this.backoff)
    this.backoff = null
    const p = this.incarnate(++this.generation)
    this.starting = p
    const settled = (): void => {
      if (this.starting === p) this.starting = null
    }
    p.then(settled, settled)
    return p
  }

  /**
   * An on-demand app's first state: `idle`, no worker, until a connection arrives. A module
   * that can never run fails now, as start() would. Without `idleStopMs`: start().
   * @throws as start()
   */
  idle(): Promise<PluginStatus> {
    if (this.onDemand === null || this.refusal) return this.start()
    this.setState('idle')
    return Promise.resolve(this.status())
  }

  /**
   * Stop: connections see hn_on_close(SHUTDOWN) and end, pending dials are aborted at once, and
   * the worker is terminated after RUNTIME_LIMITS.stopTimeoutMs at most, whatever the plugin is
   * doing. Stays stopped; connections waiting for an on-demand start are closed (PLUGIN_CLOSED).
   */
  async stop(): Promise<void> {
    this.onDemand?.dropHeld(HypernetError.PLUGIN_CLOSED(this.name))
    await this.halt('stopped')
  }

  /** stop()'s work, ending in `stopped` (the operator's) or `idle` (unused on-demand app). */
  private async halt(to: 'stopped' | 'idle'): Promise<void> {
    this.onDemand?.unwatch()
    this.generation++
    this.lastCrash = null
    this.starting = null
    if (this.backoff) clearTimeout(this.backoff)
    this.backoff = null
    const channel = this.channel
    const table = this.table
    this.channel = null
    this.table = null
    table?.abortPending()
    if (channel) await channel.stop()
    table?.shutdownAll()
    this.logLimit.flush((n) => this.reportDropped(n))
    // the next start on demand is a first start again, not a restart (restarts count crashes and operators)
    if (to === 'idle') this.starts = 0
    if (this.state !== to) this.setState(to)
  }

  /**
   * Operator restart: forget recent crashes and the last error (its "restart it when fixed" is
   * done; a start that fails records its own), stop what runs, start again. Throws as start().
   */
  async restart(): Promise<PluginStatus> {
    await this.stop()
    this.crashes = []
    this.lastError = null
    return this.start()
  }

  /** An inbound stream for one of this app's services; refused (destroyed) unless running. */
  accept(service: string, stream: DuplexLike): void {
    // READY, not the 'running' state, is the test: a plugin that dials itself from
    // hn_on_start gets that connection in the same turn as READY, before the state changes
    const running = this.table !== null && this.channel?.running === true
    if (!running && this.onDemand && (this.state === 'idle' || this.onDemand.transitioning)) return this.onDemand.hold(service, stream)
    if (!running) {
      stream.on('error', () => {}) // the refusal is the error; the caller may not listen yet
      stream.destroy(HypernetError.PLUGIN_CLOSED(this.name))
      return
    }
    this.table!.accept(service, stream)
  }

  status(): PluginStatus {
    const now = Date.now()
    return {
      app: this.name,
      state: this.state,
      restarts: this.restarts,
      recentCrashes: this.crashes.filter((t) => now - t < this.ctx.restart.windowMs).length,
      lastError: this.lastError,
      connections: this.table?.size ?? 0,
      bytesIn: this.counters.bytesIn,
      bytesOut: this.counters.bytesOut,
      since: this.since.toISOString(),
      droppedLogLines: this.logLimit.total,
      ...(this.onDemand ? { idleStopMs: this.app.idleStopMs, wakes: this.onDemand.wakes, waiting: this.onDemand.waiting } : {}),
      limits: { memoryMiB: this.limits.memoryMiB, callTimeoutMs: this.limits.callTimeoutMs, storageQuotaBytes: this.limits.storageQuotaBytes, ...this.limits.quotas }
    }
  }

  private async incarnate(generation: number): Promise<PluginStatus> {
    if (this.starts++ > 0) this.restarts++
    this.setState('starting')
    if (this.refusal) {
      this.fail(this.refusal)
      throw this.refusal
    }
    const channel: WorkerChannel = new WorkerChannel({
      app: this.name,
      source: this.ctx.workerSource(),
      init: {
        app: this.name,
        wasm: this.capped!,
        manifest: this.app.manifest,
        codeHash: this.codeHash,
        callTimeoutMs: this.limits.callTimeoutMs,
        timers: this.limits.timers,
        quotas: this.limits.quotas,
        storage: this.limits.storageQuotaBytes === null ? null : { dir: this.ctx.storageDir!, quotaBytes: this.limits.storageQuotaBytes }
      },
      onOp: (op, conn, arg) => table.onOp(op, conn, arg),
      onDeath: (err) => {
        this.crashed(generation, err).catch((e) => this.log('error', 'host', `restart bookkeeping failed: ${(e as Error)?.message ?? e}`))
      }
    })
    const table = new ConnectionTable({
      app: { name: this.name, codeHash: this.codeHash },
      out: channel.out,
      acks: channel.acks,
      dial: this.ctx.dial,
      mesh: this.ctx.mesh,
      counters: this.counters,
      log: (level, kind, msg) => this.log(level, kind, msg),
      dropped: (n) => this.logLimit.dropped(n),
      bytesInPerSecond: this.limits.quotas.bytesInPerSecond
    })
    this.channel = channel
    this.table = table
    try {
      await channel.start()
    } catch (err) {
      if (this.generation === generation) await this.crashed(generation, err as HypernetError)
      else await channel.terminate()
      throw err
    }
    // stopped, or died between READY and here (then crashed() has taken over)
    if (this.generation !== generation) throw this.lastCrash ?? HypernetError.PLUGIN_CLOSED(this.name)
    this.lastCrash = null
    this.setState('running')
    this.onDemand?.watch()
    return this.status()
  }

  private async crashed(generation: number, err: HypernetError): Promise<void> {
    if (this.generation !== generation) return
    this.generation++ // whatever this incarnation still had in flight is void now
    this.lastCrash = err
    this.lastError = { code: err.code, message: err.message, at: new Date().toISOString() }
    this.onDemand?.unwatch()
    const channel = this.channel
    this.channel = null
    this.table?.destroyAll(err)
    this.table = null
    const mine = this.generation
    if (REFUSALS.has(err.code)) {
      await channel?.terminate()
      if (this.generation === mine) this.fail(err)
      return
    }
    this.setState('crashed', err)
    // the worker must be gone before a successor opens the same storage
    await channel?.terminate()
    if (this.generation !== mine) return // stopped or restarted meanwhile
    const now = Date.now()
    this.crashes = this.crashes.filter((t) => now - t < this.ctx.restart.windowMs)
    this.crashes.push(now)
    if (this.crashes.length >= this.ctx.restart.maxCrashes) {
      return this.fail(HypernetError.PLUGIN_FAILED(this.name, `crashed ${this.crashes.length} times within ${this.ctx.restart.windowMs} ms (last: ${err.message}); restart it when fixed`))
    }
    const delay = Math.min(this.ctx.restart.maxBackoffMs, this.ctx.restart.initialBackoffMs * 2 ** (this.crashes.length - 1))
    this.setState('backoff', undefined, `restarting in ${delay} ms`)
    const backoffGeneration = this.generation
    this.backoff = setTimeout(() => {
      this.backoff = null
      if (this.generation !== backoffGeneration || this.state !== 'backoff') return
      // a failed restart is handled (and logged) by crashed(); nobody awaits this one
      this.start().catch(() => {})
    }, delay)
    this.backoff.unref()
  }

  private fail(err: HypernetError): void {
    this.lastError = { code: err.code, message: err.message, at: new Date().toISOString() }
    this.setState('failed', err)
  }

  private setState(state: PluginState, err?: HypernetError, note?: string): void {
    this.state = state
    this.since = new Date()
    const level: LogLevel = state === 'failed' ? 'error' : state === 'crashed' || state === 'backoff' ? 'warn' : 'info'
    const msg = `${this.name}: ${state}${err ? `: ${err.message}` : ''}${note ? ` (${note})` : ''}`
    this.ctx.log({ level, app: this.name, kind: 'state', msg, state, code: err?.code, time: Date.now() })
    this.ctx.onState(this.status())
  }

  /** A line about this plugin (its own, a denial, a dial): within PLUGIN_LOG, or dropped and counted. */
  private log(level: LogLevel, kind: RuntimeLogEntry['kind'], msg: string): void {
    if (!this.logLimit.take(Buffer.byteLength(msg), (n) => this.reportDropped(n))) return
    this.ctx.log({ level, app: this.name, kind, msg, time: Date.now() })
  }

  private reportDropped(n: number): void {
    const msg = `${this.name}: dropped ${n} lines (over ${PLUGIN_LOG.linesPerSecond} lines or ${PLUGIN_LOG.bytesPerSecond} bytes a second)`
    this.ctx.log({ level: 'warn', app: this.name, kind: 'host', msg, time: Date.now() })
  }
}
