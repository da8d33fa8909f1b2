import { LIMITS } from '../constants.ts'
import { HypernetError } from '../errors.ts'
import type { DuplexLike } from './types.ts'

/**
 * Socket activation for one plugin (systemd's, a serverless host's): while the plugin is `idle`
 * its services stay listened on and advertised with no worker; the first inbound connection
 * starts it and every connection that arrives meanwhile is held, not refused, then handed over
 * once the plugin is ready. A start that fails closes the held connections with its error.
 * While running, the plugin is watched: after `idleStopMs` with no connection open (inbound,
 * outbound, mesh, dials in flight) and none opened, and no byte moved, it is put back to
 * `idle`. Connections arriving while it is being put to sleep are held and wake it again.
 */

export interface OnDemandHooks {
  name: string
  /** Idle period in ms (> 0). */
  idleStopMs: number
  /** Start the plugin (joins a start under way); rejects with why it did not start. */
  start(): Promise<unknown>
  /** Stop the plugin because it is idle; it ends in state `idle`. */
  sleep(): Promise<void>
  /** Hand a stream to the running plugin (refused there if it is not running after all). */
  deliver(service: string, stream: DuplexLike): void
  /** Connections open now, and a number that moves with every connection opened and byte moved. */
  activity(): { open: number; tick: number }
  log(level: 'info' | 'warn', msg: string): void
}

/** How often a running on-demand plugin is checked for idleness: a quarter of its period, within these bounds. */
const CHECK_MIN_MS = 20
const CHECK_MAX_MS = 1000

export class OnDemand {
  /** Starts caused by a connection (not the operator's, not restarts). */
  wakes = 0
  private held: Array<{ service: string; stream: DuplexLike }> = []
  private waking: Promise<void> | null = null
  private sleeping: Promise<void> | null = null
  private check: NodeJS.Timeout | null = null
  private quietSince = 0
  private lastTick = -1

  constructor(private readonly h: OnDemandHooks) {}

  /** True while the plugin is being woken or put to sleep: connections are held, not refused. */
  get transitioning(): boolean {
    return this.waking !== null || this.sleeping !== null
  }

  /** Connections waiting for the plugin to be ready. */
  get waiting(): number {
    return this.held.length
  }

  /** Hold an inbound stream and wake the plugin (once, however many arrive). */
  hold(service: string, stream: DuplexLike): void {
    stream.on('error', () => {}) // it may fail while held; its owner learns from 'close'
    if (this.held.length >= LIMITS.maxConnectionsPerPlugin) {
      stream.destroy(HypernetError.PERMISSION_DENIED(this.h.name, `more than ${LIMITS.maxConnectionsPerPlugin} connections waiting for it to start`))
      return
    }
    this.held.push({ service, stream })
    this.waking ??= this.wake()
  }

  /** The plugin is running: watch it for idleness. */
  watch(): void {
    this.unwatch()
    this.quietSince = Date.now()
    this.lastTick = -1
    const every = Math.min(CHECK_MAX_MS, Math.max(CHECK_MIN_MS, Math.floor(this.h.idleStopMs / 4)))
    this.check = setInterval(() => this.checkIdle(), every)
    this.check.unref()
  }

  unwatch(): void {
    if (this.check) clearInterval(this.check)
    this.check = null
  }

  /** Close every held connection with `err` (the app is stopped or removed). */
  dropHeld(err: Error): void {
    const held = this.held
    this.held = []
    for (const { stream } of held) stream.destroy(err)
  }

  private async wake(): Promise<void> {
    try {
      await this.sleeping
      this.wakes++
      this.h.log('info', `${this.h.name}: starting on demand for an inbound connection`)
      await this.h.start()
      const held = this.held
      this.held = []
      for (const { service, stream } of held) if (!stream.destroyed) this.h.deliver(service, stream)
    } catch (err) {
      const e = err as HypernetError
      this.h.log('warn', `${this.h.name}: the start on demand failed (${e?.message ?? e}); closing the ${this.held.length} connections that waited for it`)
      this.dropHeld(e instanceof Error ? e : HypernetError.PLUGIN_CLOSED(this.h.name))
    } finally {
      this.waking = null
    }
    // connections that arrived after the handover began but before waking cleared
    if (this.held.length) this.waking ??= this.wake()
  }

  private checkIdle(): void {
    const { open, tick } = this.h.activity()
    const now = Date.now()
    if (open > 0 || tick !== this.lastTick || this.transitioning) {
      this.lastTick = tick
      this.quietSince = now
      return
    }
    if (now - this.quietSince < this.h.idleStopMs) return
    this.unwatch()
    this.h.log('info', `${this.h.name}: idle for ${this.h.idleStopMs} ms, stopping its worker until the next connection`)
    this.sleeping = this.h
      .sleep()
      .catch((err) => this.h.log('warn', `${this.h.name}: stopping for idleness failed: ${(err as Error)?.message ?? err}`))
      .finally(() => {
        this.sleeping = null
      })
  }
}
