/**
 * Why a source (a link, the exit's destination bytes) is paused. A relay pauses a source for
 * several reasons at once: its rate limit, a next link or destination that has not drained, the
 * client's window. Each clears on its own event (a timer, `drain`, a SENDME), so resuming on
 * any of them let cells through while another still held: the source resumes only once no
 * reason is left.
 */

/** `rate`: the relay's byte rate; `drain`: the link or stream it feeds is full; `window`: the client's window is closed. */
export type PauseReason = 'rate' | 'drain' | 'window'

export interface Pausable {
  pause(): unknown
  resume(): unknown
}

export class PauseReasons {
  private readonly reasons = new Set<PauseReason>()

  constructor(private readonly source: Pausable) {}

  /** Pause for `reason` (the source is paused from the first reason on). */
  add(reason: PauseReason): void {
    if (this.reasons.has(reason)) return
    this.reasons.add(reason)
    if (this.reasons.size === 1) this.source.pause()
  }

  /** `reason` cleared: the source resumes when it was the last one. */
  delete(reason: PauseReason): void {
    if (!this.reasons.delete(reason)) return
    if (this.reasons.size === 0) this.source.resume()
  }

  has(reason: PauseReason): boolean {
    return this.reasons.has(reason)
  }

  get paused(): boolean {
    return this.reasons.size > 0
  }

  /** Forget every reason without resuming (the circuit closed). */
  clear(): void {
    this.reasons.clear()
  }
}

/** A stream or link that says when it can take more. */
export interface Drainable {
  once(e: 'drain', fn: () => void): unknown
}

/**
 * The pause reasons of every source of one circuit, with the events that clear them: a link's
 * `drain`, the end of a rate-limit wait. After `close` nothing resumes.
 */
export class CircuitPauses {
  private readonly reasons = new Map<Pausable, PauseReasons>()
  /** The link or stream each source paused for `drain` waits on. */
  private readonly drainWaits = new Map<Pausable, Drainable>()
  private readonly throttled = new Map<Pausable, { at: number; timer: NodeJS.Timeout }>()
  private closed = false

  /** Pause `source` for `reason`. */
  pause(source: Pausable, reason: PauseReason): void {
    if (this.closed) return
    let p = this.reasons.get(source)
    if (!p) this.reasons.set(source, (p = new PauseReasons(source)))
    p.add(reason)
  }

  /** `reason` no longer holds `source`: it resumes if no other reason does. */
  resume(source: Pausable, reason: PauseReason): void {
    if (this.closed) return
    this.reasons.get(source)?.delete(reason)
  }

  /** Pause `from` until `to` drains (one wait per source at a time). */
  untilDrain(to: Drainable, from: Pausable): void {
    if (this.closed || this.drainWaits.has(from)) return
    this.drainWaits.set(from, to)
    this.pause(from, 'drain')
    to.once('drain', () => {
      // a next link dropped by TRUNCATED may still drain: only the wait in force clears
      if (this.drainWaits.get(from) !== to) return
      this.drainWaits.delete(from)
      this.resume(from, 'drain')
    })
  }

  /** Give up waiting for a drain of `from` (what it waited on is gone). */
  cancelDrain(from: Pausable): void {
    this.drainWaits.delete(from)
    this.resume(from, 'drain')
  }

  /**
   * Pause `source` for `ms` (the relay's rate). The longest wait asked for wins: the cells of
   * one read are all counted before reading stops, each one's wait covering those before it, so
   * resuming at the first (shortest) wait let a relay forward several times its rate.
   */
  throttle(source: Pausable, ms: number): void {
    this.pause(source, 'rate')
    const at = Date.now() + ms
    const current = this.throttled.get(source)
    if (current && current.at >= at) return
    if (current) clearTimeout(current.timer)
    const timer = setTimeout(() => {
      this.throttled.delete(source)
      this.resume(source, 'rate')
    }, ms)
    timer.unref()
    this.throttled.set(source, { at, timer })
  }

  /** The circuit closed: timers off, nothing resumes. Idempotent. */
  close(): void {
    this.closed = true
    for (const { timer } of this.throttled.values()) clearTimeout(timer)
    this.throttled.clear()
    for (const p of this.reasons.values()) p.clear()
    this.reasons.clear()
    this.drainWaits.clear()
  }
}
