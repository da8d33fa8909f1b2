/**
 * The host-side cap on one plugin's log (PLUGIN_LOG): lines and bytes per one-second window,
 * across its restarts. Lines over either are dropped and counted, lines the worker already
 * dropped are added to the count, and the count is reported once per window as one line of
 * its own ("dropped N lines"), so a flood costs the host's log one line a second.
 */
export class LogLimiter {
  /** Lines dropped since the plugin was added. */
  total = 0
  private windowStart = 0
  private lines = 0
  private bytes = 0
  private pending = 0

  constructor(private readonly linesPerSecond: number, private readonly bytesPerSecond: number, private readonly now: () => number = Date.now) {}

  /** `n` lines were dropped before they reached the host thread. */
  dropped(n: number): void {
    this.pending += n
    this.total += n
  }

  /**
   * True when a line of `bytes` may be logged now. When a new window starts, `report` is
   * first told how many lines the last ones dropped.
   */
  take(bytes: number, report: (dropped: number) => void): boolean {
    const t = this.now()
    if (t - this.windowStart >= 1000) {
      this.flush(report)
      this.windowStart = t
      this.lines = 0
      this.bytes = 0
    }
    if (this.lines >= this.linesPerSecond || this.bytes + bytes > this.bytesPerSecond) {
      this.dropped(1)
      return false
    }
    this.lines++
    this.bytes += bytes
    return true
  }

  /** Report what was dropped and not yet reported (at a window's end, or when the plugin stops). */
  flush(report: (dropped: number) => void): void {
    if (this.pending === 0) return
    const n = this.pending
    this.pending = 0
    report(n)
  }
}
