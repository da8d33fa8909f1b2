/** Lines per second a plugin may log (or be denied) before lines are dropped and counted. */
export class LineBudget {
  private windowStart = 0
  private used = 0
  dropped = 0

  constructor(private readonly perSecond: number) {}

  /** True when a line may go out now; `onRoll` is told how many were dropped in the last window. */
  take(onRoll: (dropped: number) => void): boolean {
    const now = Date.now()
    if (now - this.windowStart >= 1000) {
      if (this.dropped > 0) onRoll(this.dropped)
      this.windowStart = now
      this.used = 0
      this.dropped = 0
    }
    if (this.used >= this.perSecond) {
      this.dropped++
      return false
    }
    this.used++
    return true
  }
}
