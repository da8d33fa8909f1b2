/**
 * Batches ops for one postMessage per turn: [op, conn, arg, ...] plus the ArrayBuffers to
 * transfer. A message per op costs more than the copy of a 64 KiB chunk, so batching is what
 * makes the byte path fast. With `auto`, a microtask flushes; without, the owner flushes.
 */
export class Outbox {
  private ops: unknown[] = []
  private transfer: ArrayBuffer[] = []
  private scheduled = false

  constructor(
    private readonly post: (ops: unknown[], transfer: ArrayBuffer[]) => void,
    private readonly auto: boolean
  ) {}

  get size(): number {
    return this.ops.length / 3
  }

  push(op: number, conn: number, arg: unknown, buf?: ArrayBuffer): void {
    this.ops.push(op, conn, arg)
    if (buf !== undefined) this.transfer.push(buf)
    if (this.auto && !this.scheduled) {
      this.scheduled = true
      queueMicrotask(() => this.flush())
    }
  }

  flush(): void {
    this.scheduled = false
    if (this.ops.length === 0) return
    const ops = this.ops
    const transfer = this.transfer
    this.ops = []
    this.transfer = []
    this.post(ops, transfer)
  }

  /** Drop what is queued (the other side is gone). */
  clear(): void {
    this.ops = []
    this.transfer = []
  }
}
