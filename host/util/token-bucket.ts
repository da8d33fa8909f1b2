/**
 * A budget per second (bytes, or requests) shared by its users: a relay's circuits, a host serving
 * apps. Taking never blocks or refuses:
 * it answers how long the caller should stop reading, so a busy relay slows its circuits down
 * (TCP-like backpressure through the streams) instead of dropping cells, which would break
 * every layer's counter.
 */
export class TokenBucket {
  private tokens: number
  private last: number

  /** `rate` bytes per second, bursts up to `burst` bytes (default: one second's worth). */
  constructor(
    readonly rate: number,
    readonly burst = rate,
    private readonly now: () => number = Date.now
  ) {
    this.tokens = burst
    this.last = now()
  }

  /** Spend `n` bytes; returns ms to wait before reading more (0: go on). */
  take(n: number): number {
    if (!Number.isFinite(this.rate) || this.rate <= 0) return 0
    const now = this.now()
    this.tokens = Math.min(this.burst, this.tokens + ((now - this.last) * this.rate) / 1000)
    this.last = now
    this.tokens -= n
    return this.tokens >= 0 ? 0 : Math.ceil((-this.tokens * 1000) / this.rate)
  }
}
