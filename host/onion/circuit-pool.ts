import { ONION_REASON } from '../constants.ts'
import type { ClientCircuit } from './client-circuit.ts'

/**
 * Circuits built ahead of need, one hop short: a use takes one and extends it to the last hop
 * it calls for (an exit, an introduction or rendezvous point), so it waits for one hop instead
 * of a whole circuit, as Tor's pre-emptive circuits do. Each is used once. One whose link
 * closes is dropped; one older than `maxAgeMs` is closed rather than handed out (a relay may
 * have gone since). Refills run one at a time in the background, starting `quietMs` after the
 * last take, so they do not compete with the burst of circuits one connect may use (a hidden
 * connect takes three); after a failure (the client avoids the relay to blame from then on) the
 * next try waits, 1 s doubling to 60 s.
 */
export class CircuitPool {
  private readonly ready: Array<{ circuit: ClientCircuit; at: number }> = []
  private filling = false
  private closed = false
  private failures = 0
  private retry: NodeJS.Timeout | null = null
  private quiet: NodeJS.Timeout | null = null

  constructor(
    /** Build one short circuit (the client's path choice, guards and all). */
    private readonly build: () => Promise<ClientCircuit>,
    private readonly size: number,
    private readonly maxAgeMs: number,
    private readonly quietMs = 250
  ) {}

  /** Circuits waiting now. */
  get available(): number {
    return this.ready.length
  }

  /**
   * A waiting circuit none of whose relays or hosts is in `avoid`, or null; starts a refill.
   * The circuit is the caller's from now on (its onEnd is cleared).
   */
  take(avoid: ReadonlySet<string>): ClientCircuit | null {
    const now = Date.now()
    for (const e of this.ready.filter((x) => now - x.at > this.maxAgeMs)) this.drop(e.circuit, true)
    const i = this.ready.findIndex((e) => !e.circuit.closed && e.circuit.path.every((r) => !avoid.has(r.hostKey) && !avoid.has(r.relayKey)))
    const taken = i === -1 ? null : this.ready.splice(i, 1)[0].circuit
    if (taken) taken.onEnd = null
    this.refillLater()
    return taken
  }

  /** Refill once no take has come for `quietMs` (a debounce). */
  refillLater(): void {
    if (this.closed || this.retry) return
    if (this.quiet) clearTimeout(this.quiet)
    this.quiet = setTimeout(() => {
      this.quiet = null
      this.refill()
    }, this.quietMs)
    this.quiet.unref()
  }

  /** Build circuits until `size` wait, in the background. Never throws. */
  refill(): void {
    if (this.filling || this.retry || this.closed || this.ready.length >= this.size) return
    this.filling = true
    void (async () => {
      try {
        while (!this.closed && this.ready.length < this.size) {
          const circuit = await this.build()
          if (this.closed) return circuit.close(ONION_REASON.DONE)
          const entry = { circuit, at: Date.now() }
          circuit.onEnd = () => this.drop(circuit, false)
          if (!circuit.closed) this.ready.push(entry)
          this.failures = 0
        }
      } catch {
        // no relays yet, or one failed (the client avoids it now): try again a little later
        this.failures++
        this.retry = setTimeout(
          () => {
            this.retry = null
            this.refill()
          },
          Math.min(60_000, 1000 * 2 ** (this.failures - 1))
        )
        this.retry.unref()
      } finally {
        this.filling = false
      }
    })()
  }

  /** Close every waiting circuit. Idempotent. */
  close(): void {
    this.closed = true
    if (this.retry) clearTimeout(this.retry)
    if (this.quiet) clearTimeout(this.quiet)
    for (const e of [...this.ready]) this.drop(e.circuit, true)
  }

  private drop(circuit: ClientCircuit, close: boolean): void {
    const i = this.ready.findIndex((e) => e.circuit === circuit)
    if (i !== -1) this.ready.splice(i, 1)
    circuit.onEnd = null
    if (close) circuit.close(ONION_REASON.DONE)
  }
}
