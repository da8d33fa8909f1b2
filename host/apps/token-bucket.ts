/**
 * A token bucket for bytes, refilling at `rate` bytes per second with at most one second of
 * burst. `reserve(n)` takes n bytes now (the balance may go below zero) and says how many ms
 * the caller must wait before sending them, so the common case costs no promise at all.
 */
export class TokenBucket {
  private tokens: number
  private last = Date.now()

  constructor(private readonly rate: number) {
    this.tokens = rate
  }

  /** Reserve `n` bytes; returns the ms to wait before they may go (0: at once). */
  reserve(n: number): number {
    const now = Date.now()
    this.tokens = Math.min(this.rate, this.tokens + ((now - this.last) / 1000) * this.rate) - n
    this.last = now
    return this.tokens >= 0 ? 0 : Math.ceil((-this.tokens / this.rate) * 1000)
  }
}
