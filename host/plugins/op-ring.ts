/**
 * One direction of the thread boundary: a single-producer, single-consumer ring of op records
 * in a SharedArrayBuffer. Measured on these VMs, a postMessage per batch (and the fresh
 * ArrayBuffer it transfers) cost more than the bytes it carried; writing a record here costs a
 * copy and one atomic store, and the reader takes it in place.
 *
 * A record is three Int32 words, op | kind << 8, conn, number (the arg, or the byte length of
 * a bytes or JSON arg), then the bytes padded to 4. A record that would run past the end is
 * preceded by a WRAP word and written at the start. Positions are byte counters wrapping at
 * 2^32; the producer publishes with Atomics.store of its head after the bytes are written, so a
 * reader that loaded the head sees whole records. Which thread sleeps, and who wakes whom, is
 * the business of the two ends (worker-channel.ts, worker/worker-loop.ts).
 */

export const KIND = { NUMBER: 0, BYTES: 1, JSON: 2, WRAP: 3 } as const
const HEADER = 12

/** Called for each record; `bytes` is a view into the ring, valid only during the call. */
type RecordVisitor = (op: number, conn: number, kind: number, num: number, bytes: Uint8Array | null) => void

export class OpRing {
  readonly maxPayload: number
  private readonly ctrl: Int32Array
  private readonly words: Int32Array
  private readonly bytes: Uint8Array
  private readonly mask: number
  /** The producer's head, or the consumer's tail: each end keeps its own position here. */
  private pos: number
  private reading = false

  /**
   * @param ctrl the control words; `headIdx`, `tailIdx` and `fullIdx` index into it
   * @param offset, capacity where the ring's bytes are in `sab` (capacity a power of two)
   */
  constructor(
    sab: SharedArrayBuffer,
    ctrl: Int32Array,
    private readonly headIdx: number,
    private readonly tailIdx: number,
    private readonly fullIdx: number,
    offset: number,
    readonly capacity: number,
    maxPayload: number,
    end: 'producer' | 'consumer'
  ) {
    if ((capacity & (capacity - 1)) !== 0 || maxPayload + HEADER > capacity / 2) throw new RangeError('bad ring geometry')
    this.ctrl = ctrl
    this.words = new Int32Array(sab, offset, capacity / 4)
    this.bytes = new Uint8Array(sab, offset, capacity)
    this.mask = capacity - 1
    this.maxPayload = maxPayload
    this.pos = Atomics.load(ctrl, end === 'producer' ? headIdx : tailIdx)
  }

  // ---- producer ----

  /** Write one record and publish it; false (nothing written) when it does not fit now. */
  write(op: number, conn: number, kind: number, num: number, payload: Uint8Array | null): boolean {
    const len = payload === null ? 0 : payload.byteLength
    const size = HEADER + ((len + 3) & ~3)
    let at = this.pos & this.mask
    const skip = this.capacity - at < size ? this.capacity - at : 0
    const used = (this.pos - Atomics.load(this.ctrl, this.tailIdx)) | 0
    if (used + skip + size > this.capacity) return false
    if (skip > 0) {
      this.words[at >> 2] = KIND.WRAP << 8
      at = 0
    }
    const w = at >> 2
    this.words[w] = op | (kind << 8)
    this.words[w + 1] = conn
    this.words[w + 2] = payload === null ? num : len
    if (len > 0) this.bytes.set(payload!, at + HEADER)
    this.pos = (this.pos + skip + size) | 0
    Atomics.store(this.ctrl, this.headIdx, this.pos)
    return true
  }

  /** The producer could not write: ask the consumer to wake it after reading. */
  markFull(): void {
    Atomics.store(this.ctrl, this.fullIdx, 1)
  }

  // ---- consumer ----

  /** True when a record is waiting. */
  get pending(): boolean {
    return Atomics.load(this.ctrl, this.headIdx) !== this.pos
  }

  /**
   * Visit every published record, freeing each after its visit. A visit that reads the same
   * ring again (re-entrance through a callback) reads nothing. Returns how many were visited.
   */
  read(visit: RecordVisitor): number {
    if (this.reading) return 0
    this.reading = true
    let n = 0
    try {
      let head = Atomics.load(this.ctrl, this.headIdx)
      while (this.pos !== head) {
        let at = this.pos & this.mask
        let w = at >> 2
        if (this.words[w] >>> 8 === KIND.WRAP) {
          this.pos = (this.pos + this.capacity - at) | 0
          at = 0
          w = 0
        }
        const op = this.words[w] & 0xff
        const kind = this.words[w] >>> 8
        const num = this.words[w + 2]
        const len = kind === KIND.NUMBER ? 0 : num
        try {
          visit(op, this.words[w + 1], kind, num, kind === KIND.NUMBER ? null : this.bytes.subarray(at + HEADER, at + HEADER + len))
        } finally {
          this.pos = (this.pos + HEADER + ((len + 3) & ~3)) | 0
          Atomics.store(this.ctrl, this.tailIdx, this.pos)
          n++
        }
        if (this.pos === head) head = Atomics.load(this.ctrl, this.headIdx)
      }
    } finally {
      this.reading = false
    }
    return n
  }

  /** True once after the producer marked the ring full: the caller should wake it. */
  takeFull(): boolean {
    return Atomics.load(this.ctrl, this.fullIdx) === 1 && Atomics.exchange(this.ctrl, this.fullIdx, 0) === 1
  }
}
