/**
 * A token bucket for bytes: `take(n)` resolves when n bytes may go, refilling at `rate` bytes
 * per second with at most one second of burst. Waiters are served in order.
 */
export class TokenBucket {
  private tokens: number
  private last = Date.now()
  private queue: Promise<void> = Promise.resolve()

  constructor(private readonly rate: number) {
    this.tokens = rate
  }

  /** Wait until `n` bytes may be sent. */
  take(n: number): Promise<void> {
    const next = this.queue.then(async () => {
      this.refill()
      if (this.tokens < n) {
        await new Promise((r) => setTimeout(r, Math.ceil(((n - this.tokens) / this.rate) * 1000)))
        this.refill()
      }
      this.tokens -= n
    })
    this.queue = next
    return next
  }

  private refill(): void {
    const now = Date.now()
    this.tokens = Math.min(this.rate, this.tokens + ((now - this.last) / 1000) * this.rate)
    this.last = now
  }
}
