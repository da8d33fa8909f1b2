import { ONION_REASON } from '../constants.ts'

/**
 * A relay's budget for what all its circuits hold (held cells, write buffers, the exit's bytes
 * waiting for a window): the per-circuit cap bounds one circuit, this bounds the relay against
 * many circuits each under it.
 *
 * Over the budget the relay destroys circuits (DESTROY(LIMIT)), the one holding the most first,
 * until it holds at most 90% of the budget, so one trip frees room instead of one kill per
 * arriving byte. Tor's OOM handler (circuits_handle_oom) also frees down to 90% of
 * MaxMemInQueues, but ranks circuits by the age of their oldest queued cell, so that a circuit
 * moving many bytes fast is spared and one whose cells sit is not (the "sniper attack" defence).
 * Here the bytes sit in stream buffers this code does not own and cannot timestamp, and every
 * honest end keeps windows, so an honest circuit holds about a window per direction while the
 * one holding the most is, by far, the one whose peer ignores flow control or whose
 * destination floods: ranking by size picks the same circuit for what can be measured.
 */

/** At most one full recount per this many ms while the noted total is over the budget by less than RECOUNT_MARGIN. */
const RECOUNT_MS = 10
/** Over the budget by more than this share, a recount runs at once. */
const RECOUNT_MARGIN = 0.25

/** What the budget needs of a circuit (relay-circuit.ts's RelayCircuit). */
export interface HeldCircuit {
  /** Bytes the relay holds for the circuit now. */
  readonly heldBytes: number
  /** Already closed (a rendezvous circuit closes with its peer): nothing to shed. */
  readonly closed: boolean
  /** End the circuit; the relay then calls `forget` for it (and for a peer it takes along). */
  close(reason: number): void
}

export class HeldBudget {
  /** Sum of the last figure each circuit reported: only a trigger (a circuit's buffers drain without a word), recounted exactly when over. */
  private total = 0
  private readonly last = new Map<HeldCircuit, number>()
  private shedding = false
  private recountedAt = -Infinity
  /** Circuits ended for holding more than the per-circuit cap. */
  limited = 0
  /** Circuits ended because the relay as a whole held more than its budget. */
  shed = 0

  constructor(
    /** Most bytes all circuits together may hold. */
    readonly max: number,
    private readonly circuits: () => Iterable<HeldCircuit>,
    private readonly now: () => number = Date.now
  ) {}

  /** `circuit` holds `held` bytes now: over the budget, shed the biggest circuits. */
  note(circuit: HeldCircuit, held: number): void {
    this.total += held - (this.last.get(circuit) ?? 0)
    this.last.set(circuit, held)
    if (this.total <= this.max || this.shedding) return
    // the noted total runs high when buffers drain unseen: near the budget, recounting every
    // circuit on every arriving chunk would cost O(circuits) per chunk, so at most every
    // RECOUNT_MS, unless it is well over
    const now = this.now()
    if (now - this.recountedAt < RECOUNT_MS && this.total <= this.max * (1 + RECOUNT_MARGIN)) return
    this.recountedAt = now
    this.shedAll()
  }

  /** A circuit closed: what it held is free. */
  forget(circuit: HeldCircuit): void {
    this.total -= this.last.get(circuit) ?? 0
    this.last.delete(circuit)
  }

  /** What every circuit holds now, counted afresh. */
  count(): number {
    let total = 0
    for (const c of this.circuits()) {
      const n = c.heldBytes
      this.last.set(c, n)
      total += n
    }
    this.total = total
    return total
  }

  private shedAll(): void {
    this.shedding = true
    try {
      if (this.count() <= this.max) return
      const sizes = [...this.circuits()].map((c) => ({ c, n: this.last.get(c) ?? 0 })).sort((a, b) => b.n - a.n)
      for (const { c } of sizes) {
        // `forget` takes each closed circuit off the total, a rendezvous peer closed with it too
        if (this.total <= 0.9 * this.max) break
        if (c.closed) continue
        this.shed++
        c.close(ONION_REASON.LIMIT)
      }
    } finally {
      this.shedding = false
    }
  }
}
