/**
 * Batching for the thread boundary: one postMessage per turn of the event loop carrying
 * [op, conn, arg, op, conn, arg, ..., arena?]. Measured on Node 20: a message per op costs more
 * than copying a 64 KiB chunk, and transferring a tiny ArrayBuffer costs ~4.7 µs (cloning
 * ~1.3 µs), so small payloads are copied into one shared arena per batch (~0.3 µs each) and
 * only large ones travel as their own transferred ArrayBuffer.
 *
 * A byte op's arg is either that ArrayBuffer or a number: the length of its slice of the arena,
 * slices in op order. The reader must take every byte op's bytes, even ones it drops.
 */

/** Payloads this large or larger go in their own transferred buffer. */
const OWN_BUFFER_BYTES = 16 * 1024
const ARENA_START = 64 * 1024

export class Outbox {
  private ops: unknown[] = []
  private transfer: ArrayBuffer[] = []
  private arena: Uint8Array | null = null
  private arenaUsed = 0
  private scheduled = false

  /** With `auto`, a setImmediate flushes (everything a turn produced goes in one batch). */
  constructor(
    private readonly post: (ops: unknown[], transfer: ArrayBuffer[]) => void,
    private readonly auto: boolean
  ) {}

  push(op: number, conn: number, arg: unknown): void {
    this.ops.push(op, conn, arg)
    this.schedule()
  }

  /** Push a byte op; `bytes` is copied now, so the caller may reuse its memory at once. */
  pushBytes(op: number, conn: number, bytes: Uint8Array): void {
    const n = bytes.byteLength
    if (n >= OWN_BUFFER_BYTES) {
      const own = new Uint8Array(n)
      own.set(bytes)
      this.ops.push(op, conn, own.buffer)
      this.transfer.push(own.buffer)
    } else {
      if (this.arena === null || this.arenaUsed + n > this.arena.byteLength) this.grow(n)
      this.arena!.set(bytes, this.arenaUsed)
      this.arenaUsed += n
      this.ops.push(op, conn, n)
    }
    this.schedule()
  }

  flush(): void {
    this.scheduled = false
    if (this.ops.length === 0) return
    const ops = this.ops
    const transfer = this.transfer
    if (this.arena !== null) {
      ops.push(this.arena.buffer)
      transfer.push(this.arena.buffer as ArrayBuffer)
    }
    this.ops = []
    this.transfer = []
    this.arena = null
    this.arenaUsed = 0
    this.post(ops, transfer)
  }

  /** Drop what is queued (the other side is gone). */
  clear(): void {
    this.ops = []
    this.transfer = []
    this.arena = null
    this.arenaUsed = 0
  }

  private grow(n: number): void {
    const size = Math.max(ARENA_START, 2 * (this.arena?.byteLength ?? 0), this.arenaUsed + n)
    const next = new Uint8Array(size)
    if (this.arena !== null) next.set(this.arena.subarray(0, this.arenaUsed))
    this.arena = next
  }

  private schedule(): void {
    if (this.auto && !this.scheduled) {
      this.scheduled = true
      setImmediate(() => this.flush())
    }
  }
}

/** Reads the byte args of one batch, in order. */
export class BatchReader {
  /** Number of array slots holding ops (the arena, if any, follows them). */
  readonly length: number
  private readonly arena: ArrayBuffer | null
  private pos = 0

  constructor(readonly ops: unknown[]) {
    const extra = ops.length % 3
    this.length = ops.length - extra
    this.arena = extra === 1 ? (ops[ops.length - 1] as ArrayBuffer) : null
  }

  /** The bytes of a byte op's arg. */
  bytes(arg: unknown): Uint8Array {
    if (typeof arg !== 'number') return new Uint8Array(arg as ArrayBuffer)
    const view = new Uint8Array(this.arena!, this.pos, arg)
    this.pos += arg
    return view
  }
}
