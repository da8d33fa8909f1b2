/**
 * A token bucket: `rate` tokens a second, at most one second's worth saved up. `take(n)`
 * succeeds while the balance is positive and may leave it below zero (a 1 MiB send against a
 * bucket of 100 KiB goes, then waits out its debt), so a large unit is never starved; `waitMs()`
 * says when the balance is positive again. No timers: callers schedule their own wake-up.
 */
export class RateBucket {
  private tokens: number
  private last: number

  constructor(readonly rate: number, private readonly now: () => number = Date.now) {
    this.tokens = rate
    this.last = now()
  }

  /** Take `n` tokens if the balance is positive; false (nothing taken) when it is not. */
  take(n = 1): boolean {
    this.refill()
    if (this.tokens <= 0) return false
    this.tokens -= n
    return true
  }

  /** Take `n` tokens whatever the balance (bytes that already arrived). */
  force(n: number): void {
    this.refill()
    this.tokens -= n
  }

  /** True when take() would succeed now. */
  get available(): boolean {
    this.refill()
    return this.tokens > 0
  }

  /** Milliseconds until the balance is positive again (0: it is). */
  waitMs(): number {
    this.refill()
    return this.tokens > 0 ? 0 : Math.max(1, Math.ceil(((1 - this.tokens) / this.rate) * 1000))
  }

  private refill(): void {
    const t = this.now()
    if (t > this.last) this.tokens = Math.min(this.rate, this.tokens + ((t - this.last) / 1000) * this.rate)
    this.last = t
  }
}
