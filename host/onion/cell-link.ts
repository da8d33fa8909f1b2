import { EventEmitter } from 'node:events'
import { ONION, ONION_REASON } from '../constants.ts'
import { HypernetError } from '../errors.ts'
import { CELL, ONION_BODY_BYTES, ONION_CELL_BYTES, decodeExact, encode, onionCellTypeAt, onionReasonBody, writeOnionCell } from '../messages.ts'
import type { OnionCellWire } from '../messages.ts'
import type { DuplexLike } from '../types/duplex.ts'
import { writeBuffered } from './stream-buffers.ts'

const FLUSH_CELLS = 64

/**
 * One link of a circuit: a HyperDHT stream cut into fixed-size cells. Cells sent in one turn
 * of the event loop leave in one write (a secret stream frames and encrypts per write), copied
 * straight into that write's buffer. Malformed bytes end this link with BAD_MESSAGE, never the
 * process.
 *
 * Events: `cell` (OnionCellWire: one object and one body buffer for every cell of the link, so
 * a listener that keeps either past its call copies it), `drain`, `close` (err: HypernetError |
 * null, reason: the DESTROY reason the peer sent, or null when the link just went away).
 */
export class CellLink extends EventEmitter {
  /** Cells waiting for the next write, `queued` of them; a fresh buffer per write (the stream keeps it). */
  private batch: Buffer | null = null
  private queued = 0
  /** How many cells the last write took: the next batch starts that big (a bulk stream's 64, a chat's 1). */
  private lastQueued = 1
  private readonly cell: OnionCellWire = { type: 0, body: Buffer.alloc(ONION_BODY_BYTES) }
  private inbuf: Buffer = Buffer.alloc(0)
  private inOff = 0
  private held: Buffer[] = []
  private heldBytes = 0
  private paused = false
  private pumping = false
  /** Most bytes held for a paused link before it ends with LIMIT (ONION.maxHeldBytes: four windows). */
  maxHeldBytes: number = ONION.maxHeldBytes
  /** How long a paused link whose stream ended keeps what it holds (ONION.heldAfterEndMs). */
  heldAfterEndMs: number = ONION.heldAfterEndMs
  private flushing = false
  private full = false
  private ended = false
  /** The stream ended or closed: what is held still goes out as cells, then the link closes. */
  private remoteEnded = false
  private endTimer: NodeJS.Timeout | null = null
  /** Cells in and out, for status and tests. */
  cellsIn = 0
  cellsOut = 0
  /** Called after bytes arrived and were handed out as far as the link is not paused: a relay's circuit counts what it holds then. */
  onHeld: (() => void) | null = null

  constructor(readonly stream: DuplexLike & { remotePublicKey?: Uint8Array | null; rawStream?: { remoteHost?: string; remotePort?: number } | null }) {
    super()
    stream.on('data', (d: Buffer) => this.onData(d))
    stream.on('drain', () => {
      this.full = false
      this.emit('drain')
    })
    stream.on('error', (err: Error) => this.finish(HypernetError.CONNECTION_FAILED(`link failed: ${err.message}`, err), null))
    // a paused link keeps reading: DATA, END and a DESTROY's reason may be held when the stream ends
    stream.on('end', () => this.endOfStream())
    stream.on('close', () => this.endOfStream())
  }

  /** `host:port` the link's stream comes from, as far as this side can tell. */
  get remoteAddress(): string | null {
    const r = this.stream.rawStream
    return r?.remoteHost ? `${r.remoteHost}:${r.remotePort}` : null
  }

  get closed(): boolean {
    return this.ended
  }

  /** Queue a cell; false when the stream is above its high-water mark (wait for `drain`). */
  send(type: number, body: Uint8Array): boolean {
    if (this.ended) return false
    this.room()
    writeOnionCell(this.batch!, this.queued * ONION_CELL_BYTES, type, body)
    this.queued++
    this.cellsOut++
    // a big burst goes out in 64-cell writes, so `full` (and backpressure) stays current
    if (this.queued >= FLUSH_CELLS) this.flush()
    else if (!this.flushing) {
      this.flushing = true
      queueMicrotask(() => {
        this.flushing = false
        this.flush()
      })
    }
    return !this.full
  }

  /** Send DESTROY with `reason`, then close the link. Idempotent. */
  destroy(reason: number = ONION_REASON.DONE): void {
    if (this.ended) return
    this.send(CELL.DESTROY, encode(onionReasonBody, { reason }))
    this.flush()
    this.ended = true
    if (this.endTimer) clearTimeout(this.endTimer)
    this.dropHeld()
    this.stream.end()
    // a peer that never reads must not keep the stream: destroy it shortly after
    setTimeout(() => this.stream.destroy(), 2000).unref()
    this.emit('close', null, null)
  }

  /** Close without a word (the peer sees the stream end). Idempotent. */
  abort(err?: Error): void {
    if (this.ended) return
    this.stream.destroy(err)
    this.finish(null, null)
  }

  /**
   * Stop handing out cells. The stream itself keeps flowing (pausing a HyperDHT stream does not
   * stop its sender, it only hides the pile-up): this link holds what comes, up to
   * `maxHeldBytes`, then ends with LIMIT.
   */
  pause(): void {
    this.paused = true
  }

  resume(): void {
    if (!this.paused) return
    this.paused = false
    this.pump()
  }

  /** Bytes received and not yet handed out as cells (held while paused). */
  get heldLength(): number {
    return this.heldBytes + this.inbuf.length - this.inOff
  }

  /** Bytes of cells sent and not yet handed to the network: the batch, and what the stream has not written. */
  get outgoingLength(): number {
    return this.queued * ONION_CELL_BYTES + writeBuffered(this.stream)
  }

  /** Room in the batch for one more cell. */
  private room(): void {
    const used = this.queued * ONION_CELL_BYTES
    if (this.batch && used < this.batch.byteLength) return
    const next = Buffer.allocUnsafe(Math.min(FLUSH_CELLS, Math.max(this.lastQueued, this.queued * 2, 1)) * ONION_CELL_BYTES)
    this.batch?.copy(next, 0, 0, used)
    this.batch = next
  }

  private flush(): void {
    if (this.queued === 0) return
    if (this.stream.destroyed) {
      // nobody will take them: a later send starts a fresh batch rather than overrun this one
      this.batch = null
      this.queued = 0
      return
    }
    const buf = this.batch!.subarray(0, this.queued * ONION_CELL_BYTES)
    this.batch = null
    this.lastQueued = this.queued
    this.queued = 0
    if (!this.stream.write(buf)) this.full = true
  }

  private onData(d: Buffer): void {
    if (this.ended) return
    this.held.push(d)
    this.heldBytes += d.byteLength
    // only a peer that ignores its window fills a paused link past a few windows
    if (this.heldBytes > this.maxHeldBytes) return this.overflow()
    this.pump()
    this.onHeld?.()
  }

  /** Cut what is held into cells and hand them out, until paused or out of bytes. */
  private pump(): void {
    if (this.pumping) return
    this.pumping = true
    try {
      while (!this.paused && !this.ended) {
        if (this.inbuf.length - this.inOff < ONION_CELL_BYTES) {
          const next = this.held.shift()
          if (!next) break
          this.heldBytes -= next.byteLength
          const rest = this.inbuf.subarray(this.inOff)
          this.inbuf = rest.length === 0 ? next : Buffer.concat([rest, next])
          this.inOff = 0
          continue
        }
        this.readCell()
      }
    } finally {
      this.pumping = false
    }
    if (this.remoteEnded && !this.paused && this.held.length === 0) this.finish(null, null)
  }

  private endOfStream(): void {
    this.remoteEnded = true
    this.pump()
    if (this.ended || this.endTimer) return
    // a link paused for good (a relay's next hop that never drains) must not keep the held bytes for ever
    this.endTimer = setTimeout(() => this.finish(null, null), this.heldAfterEndMs)
    this.endTimer.unref()
  }

  private readCell(): void {
    const off = this.inOff
    const cell = this.cell
    try {
      cell.type = onionCellTypeAt(this.inbuf, off)
    } catch (err) {
      this.stream.destroy()
      this.finish(err as HypernetError, null)
      return
    }
    this.inbuf.copy(cell.body as Buffer, 0, off + 2, off + ONION_CELL_BYTES)
    this.inOff = off + ONION_CELL_BYTES
    this.cellsIn++
    if (cell.type === CELL.DESTROY) {
      let reason: number = ONION_REASON.PROTOCOL
      try {
        reason = decodeExact(onionReasonBody, cell.body, 'destroy').reason
      } catch {
        // a garbled DESTROY still ends the link
      }
      this.stream.end()
      this.finish(null, reason)
      return
    }
    this.emit('cell', cell)
  }

  /** Too much held for a paused circuit: DESTROY(LIMIT) to the peer, and `close` with LIMIT here. */
  private overflow(): void {
    this.dropHeld()
    this.send(CELL.DESTROY, encode(onionReasonBody, { reason: ONION_REASON.LIMIT }))
    this.flush()
    this.stream.end()
    setTimeout(() => this.stream.destroy(), 2000).unref()
    this.finish(null, ONION_REASON.LIMIT)
  }

  private finish(err: HypernetError | null, reason: number | null): void {
    if (this.ended) return
    this.ended = true
    if (this.endTimer) clearTimeout(this.endTimer)
    this.batch = null
    this.queued = 0
    this.dropHeld()
    this.emit('close', err, reason)
  }

  /** What was received and not handed out: a closed link hands out nothing more. */
  private dropHeld(): void {
    this.held = []
    this.heldBytes = 0
    // readCell moves inOff past a cell before handing it out, so a close from a handler leaves no offset behind
    this.inbuf = Buffer.alloc(0)
    this.inOff = 0
  }
}
