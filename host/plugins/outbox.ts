import { KIND } from './op-ring.ts'
import type { OpRing } from './op-ring.ts'

/**
 * The sending end of one direction of the thread boundary: ops go straight into the op ring
 * (op-ring.ts), published as they are written, so the other thread can start on the first
 * while this one writes the next. When the ring is full they wait here, in order, until the
 * consumer has read (it wakes us: `flush()`); what waits here is bounded by the byte windows,
 * as the ring is.
 *
 * Waking the other thread is the costly part (a futex wake, or a message to an idle thread),
 * so it is done once for everything written before `flush()`, and only when an op needed it:
 * `needsWake(op)` says whether one does. The cheap ops (CREDIT, ACK) ride along unannounced
 * until something else wakes the other thread, unless it said it waits for them (see
 * RING.wantCredit, RING.wantAcks). With `schedule`, flush() is scheduled by the first op that
 * needs a wake (the host thread: once per turn); without, the owner calls it (the worker:
 * after each batch of work).
 */

/** Where ops go: the worker's connections and host functions, or the host thread's. */
export interface OpSink {
  /** An op whose arg is a number, or a small structured value (sent as JSON). */
  push(op: number, conn: number, arg: unknown): void
  /** A byte op; `bytes` (at most RING.maxPayloadBytes) is copied now, so the caller may reuse its memory at once. */
  pushBytes(op: number, conn: number, bytes: Uint8Array): void
}

const encoder = new TextEncoder()

export class Outbox implements OpSink {
  /** Ops waiting for space: op, conn, kind, num, bytes (a copy) or null; those before `head` are sent. */
  private waiting: unknown[] = []
  private head = 0
  private wakeDue = false
  private scheduled = false

  constructor(
    private readonly ring: OpRing,
    private readonly needsWake: (op: number) => boolean,
    private readonly wake: () => void,
    private readonly schedule: ((flush: () => void) => void) | null = null
  ) {}

  get maxPayload(): number {
    return this.ring.maxPayload
  }

  push(op: number, conn: number, arg: unknown): void {
    if (typeof arg === 'number') this.put(op, conn, KIND.NUMBER, arg, null)
    else this.put(op, conn, KIND.JSON, 0, encoder.encode(JSON.stringify(arg ?? null)))
  }

  pushBytes(op: number, conn: number, bytes: Uint8Array): void {
    if (bytes.byteLength > this.ring.maxPayload) throw new RangeError(`an op of ${bytes.byteLength} bytes (at most ${this.ring.maxPayload})`)
    this.put(op, conn, KIND.BYTES, 0, bytes)
  }

  /**
   * Move what waits into the ring, as far as it fits, and wake the other thread if an op
   * written since the last flush needs it. True when nothing waits any more.
   */
  flush(): boolean {
    this.scheduled = true // what this writes is woken for below
    const done = this.moveWaiting()
    this.scheduled = false
    if (this.wakeDue) {
      this.wakeDue = false
      this.wake()
    }
    return done
  }

  /** Drop what waits (the other side is gone). */
  clear(): void {
    this.waiting = []
    this.head = 0
    this.wakeDue = false
  }

  private put(op: number, conn: number, kind: number, num: number, bytes: Uint8Array | null): void {
    if (this.head === this.waiting.length) {
      if (this.ring.write(op, conn, kind, num, bytes)) return this.written(op)
      this.ring.markFull()
      if (this.ring.write(op, conn, kind, num, bytes)) return this.written(op)
    }
    this.waiting.push(op, conn, kind, num, bytes === null ? null : bytes.slice())
  }

  private written(op: number): void {
    if (this.wakeDue || !this.needsWake(op)) return
    this.wakeDue = true
    if (this.schedule !== null && !this.scheduled) {
      this.scheduled = true
      this.schedule(this.flushNow)
    }
  }

  private readonly flushNow = (): void => void this.flush()

  private moveWaiting(): boolean {
    for (let tries = 0; ; tries++) {
      const q = this.waiting
      let i = this.head
      while (i < q.length && this.ring.write(q[i] as number, q[i + 1] as number, q[i + 2] as number, q[i + 3] as number, q[i + 4] as Uint8Array | null)) {
        q[i + 4] = null // the ring has the bytes now
        this.written(q[i] as number)
        i += 5
      }
      // what was sent is dropped in one go, not sliced off after every partial flush (that
      // was quadratic in the queue for a slow plugin sent many small ops)
      if (i === q.length) {
        this.waiting = []
        this.head = 0
        return true
      }
      this.head = i
      if (i > 4096 && i * 2 > q.length) {
        this.waiting = q.slice(i)
        this.head = 0
      }
      if (tries === 1) return false
      // ask to be woken once there is room; the consumer may have made room before it could see the mark, so try once more
      this.ring.markFull()
    }
  }
}
