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
