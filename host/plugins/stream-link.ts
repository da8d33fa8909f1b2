import { CLOSE_REASON } from '../abi.ts'
import type { OpSink } from './outbox.ts'
import { RUNTIME_LIMITS } from './plugin-limits.ts'
import { TO_WORKER } from './protocol.ts'
import type { DuplexLike } from './types.ts'

/**
 * One connection on the host thread: moves bytes between a stream and the plugin's worker.
 *
 * Peer -> plugin: chunks are copied (at most maxDataBytes each) into the ring to the worker; what the plugin has not consumed yet counts against the inbound
 * windows (per connection, per plugin), and the stream is paused while a window is full or
 * the plugin paused it, so a fast sender is held back by the transport, not by our memory.
 * Plugin -> peer: each SEND is written as is; its bytes are credited back to the worker's
 * send window when the stream took them without passing its high-water mark, or at 'drain'
 * (a CREDIT wakes the worker only when it waits for one, so a reply costs no extra hand-off).
 *
 * Closing: the plugin learns of a close through CLOSE (END when the peer ended cleanly, ERROR
 * when the stream failed), and answers FIN once it has seen hn_on_close; only then is our side
 * ended, so a reply the plugin sent before it saw the close is still written.
 */

export interface LinkOwner {
  readonly out: OpSink
  counters: { bytesIn: number; bytesOut: number }
  /** The peer sent bytes; the owner decides whether a window is full. */
  inbound(link: StreamLink, bytes: number): void
  /** The link is gone for good (closed and seen by the plugin). */
  forget(link: StreamLink): void
}

/** After our side ended, how long the peer gets to end its side before the stream is destroyed. */
const LINGER_MS = 5_000
/** How often a paused stream's host-side buffer is measured. */
const PAUSED_CHECK_MS = 100

export class StreamLink {
  /** Bytes sent to the worker and not yet acknowledged. */
  inflightIn = 0
  pluginPaused = false
  windowPaused = false
  /** Held back by the plugin's bytesInPerSecond quota. */
  ratePaused = false
  private paused = false
  private owed = 0
  private remoteEnded = false
  private localEnded = false
  private closed = false
  private finished = false
  private closeSent = false
  private linger: NodeJS.Timeout | null = null
  private pausedCheck: NodeJS.Timeout | null = null

  constructor(readonly id: number, readonly stream: DuplexLike, private readonly owner: LinkOwner) {}

  attach(): void {
    const s = this.stream
    s.on('data', this.onData)
    s.on('end', this.onEnd)
    s.on('drain', this.onDrain)
    s.on('error', this.onError)
    s.on('close', this.onClose)
  }

  /** SEND from the plugin. */
  send(bytes: Uint8Array): void {
    if (this.localEnded || this.closed) return
    const n = bytes.byteLength
    this.owner.counters.bytesOut += n
    // `bytes` is a view into the ring, reused once this returns: the stream gets a copy
    if (this.stream.write(copyOf(bytes))) this.owner.out.push(TO_WORKER.CREDIT, this.id, n)
    else this.owed += n
  }

  /** END (hn_close) or FIN: end our side after what was written. */
  end(): void {
    if (this.localEnded) return
    this.localEnded = true
    if (this.closed) return
    this.stream.end()
    this.linger = setTimeout(() => this.stream.destroy(), LINGER_MS)
    this.linger.unref()
  }

  /** FIN: the plugin has seen hn_on_close; the id is free. */
  fin(): void {
    this.finished = true
    this.end()
    if (this.closed) this.owner.forget(this)
  }

  ack(bytes: number): void {
    this.inflightIn -= bytes
  }

  setPaused(): void {
    const want = this.pluginPaused || this.windowPaused || this.ratePaused
    if (want === this.paused || this.closed) return
    this.paused = want
    if (want) {
      this.stream.pause()
      this.pausedCheck = setInterval(() => this.checkPausedBuffer(), PAUSED_CHECK_MS)
      this.pausedCheck.unref()
    } else {
      this.stopPausedCheck()
      this.stream.resume()
    }
  }

  /** A peer that ignores the pause (UDX has no receive window) is cut before it costs us memory. */
  private checkPausedBuffer(): void {
    const buffered = bufferedBytes(this.stream)
    if (buffered <= RUNTIME_LIMITS.maxPausedBufferBytes || this.closed) return
    this.stopPausedCheck()
    this.stream.destroy(new Error(`the peer kept sending ${buffered} bytes into a paused connection (limit ${RUNTIME_LIMITS.maxPausedBufferBytes})`))
  }

  private stopPausedCheck(): void {
    if (this.pausedCheck) clearInterval(this.pausedCheck)
    this.pausedCheck = null
  }

  /** Tear down without telling the plugin (it is gone): the peer sees an error, not an end. */
  destroy(err: Error): void {
    this.detach()
    if (this.linger) clearTimeout(this.linger)
    if (!this.closed) this.stream.destroy(err)
  }

  /** Graceful stop after the plugin is gone: end our side, destroy if the peer lingers. */
  shutdown(): void {
    this.detach()
    this.stream.on('error', noop)
    if (this.closed) return
    if (!this.localEnded) this.stream.end()
    setTimeout(() => this.stream.destroy(), LINGER_MS).unref()
  }

  private detach(): void {
    this.stopPausedCheck()
    const s = this.stream
    s.removeListener('data', this.onData)
    s.removeListener('end', this.onEnd)
    s.removeListener('drain', this.onDrain)
    s.removeListener('close', this.onClose)
    // keep onError: an error after detaching must not become an uncaught exception
  }

  private readonly onData = (chunk: Uint8Array): void => {
    if (this.localEnded) return // the plugin closed: read and drop, so the stream can finish
    const len = chunk.byteLength
    this.owner.counters.bytesIn += len
    for (let off = 0; off < len; off += RUNTIME_LIMITS.maxDataBytes) {
      // pushBytes copies: the chunk may be a pool slice or the writer's own buffer
      this.owner.out.pushBytes(TO_WORKER.DATA, this.id, chunk.subarray(off, Math.min(len, off + RUNTIME_LIMITS.maxDataBytes)))
    }
    this.inflightIn += len
    this.owner.inbound(this, len)
  }

  private readonly onEnd = (): void => {
    this.remoteEnded = true
    this.sendClose(CLOSE_REASON.END)
  }

  private readonly onDrain = (): void => {
    if (this.owed === 0) return
    this.owner.out.push(TO_WORKER.CREDIT, this.id, this.owed)
    this.owed = 0
  }

  private readonly onError = (): void => {
    // 'close' follows and reports it to the plugin as ERROR
  }

  private readonly onClose = (): void => {
    this.closed = true
    this.stopPausedCheck()
    if (this.linger) clearTimeout(this.linger)
    this.sendClose(this.remoteEnded || this.localEnded ? CLOSE_REASON.END : CLOSE_REASON.ERROR)
    if (this.finished) this.owner.forget(this)
  }

  private sendClose(reason: number): void {
    if (this.closeSent) return
    this.closeSent = true
    this.owner.out.push(TO_WORKER.CLOSE, this.id, reason)
  }
}

function noop(): void {}

const SLAB_BYTES = 1024 * 1024
let slab = Buffer.allocUnsafeSlow(SLAB_BYTES)
let slabUsed = 0

/**
 * A copy of a ring view, carved from a 1 MiB slab as Node's own pool does for small buffers (a
 * fresh ArrayBuffer per 64 KiB send cost more in allocation and GC than the copy). Not
 * Buffer.from(view): from shared memory that slices element by element, ~6x slower.
 */
function copyOf(bytes: Uint8Array): Buffer {
  const n = bytes.byteLength
  if (n > SLAB_BYTES / 4) return copyBig(bytes)
  if (slabUsed + n > SLAB_BYTES) {
    slab = Buffer.allocUnsafeSlow(SLAB_BYTES)
    slabUsed = 0
  }
  const b = slab.subarray(slabUsed, slabUsed + n)
  slabUsed += (n + 7) & ~7
  b.set(bytes)
  return b
}

function copyBig(bytes: Uint8Array): Buffer {
  const b = Buffer.allocUnsafeSlow(bytes.byteLength)
  b.set(bytes)
  return b
}

/** Bytes waiting in a stream's readable buffer: Node streams and streamx (HyperDHT) alike. */
function bufferedBytes(stream: DuplexLike): number {
  const s = stream as unknown as { readableLength?: number; _readableState?: { buffered?: number } }
  if (typeof s.readableLength === 'number') return s.readableLength
  return s._readableState?.buffered ?? 0
}
