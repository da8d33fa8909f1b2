import { HypernetError } from '../errors.ts'
import { ONION_MAX_DATA, RELAY_CMD, decodeExact, encode, onionSendme } from '../messages.ts'
import { OnionStream } from './onion-stream.ts'
import type { StreamCircuit } from './onion-stream.ts'
import { StreamWindow } from './stream-window.ts'

/** At most this many bytes of DATA wait for one push to the stream's reader. */
const READER_BATCH_BYTES = 64 * 1024

/** What a stream's end needs of its circuit (client-circuit.ts's ClientCircuit). */
export interface StreamEndCircuit extends StreamCircuit {
  /** `fn` once the circuit's link can take more. */
  onceDrain(fn: () => void): void
  pauseLink(): void
  readonly closed: boolean
}

/**
 * The client's end of the one stream a circuit carries (after CONNECTED, or once joined at a
 * rendezvous): DATA out, cut to cells and held to the window when both ends keep one; DATA in,
 * the cells of one read handed to the reader as one chunk and acknowledged (SENDME) once it
 * took them.
 */
export class StreamEnd {
  readonly stream: OnionStream
  /** Flow control with the other end (stream-window.ts); null when either end is of version 1. */
  readonly window: StreamWindow | null
  /** Whether the other end sent END. */
  ended = false
  /** The rest of a write that waits for a SENDME. */
  private parked: { data: Buffer; off: number; cb: (err?: Error | null) => void } | null = null
  private readerBuf: Buffer | null = null
  private readerLen = 0
  private readerSize = ONION_MAX_DATA

  constructor(
    private readonly circuit: StreamEndCircuit,
    remoteKey: Buffer,
    windows: boolean
  ) {
    this.window = windows ? new StreamWindow() : null
    this.stream = new OnionStream(circuit, remoteKey)
  }

  /** Send `data` as DATA messages; `cb` once the link can take more (and the window is open). */
  write(data: Buffer, cb: (err?: Error | null) => void, from = 0): void {
    let ok = true
    for (let off = from; off < data.byteLength; off += ONION_MAX_DATA) {
      // the rest waits for a SENDME; the Duplex writes nothing else meanwhile
      if (this.window && !this.window.open) return void (this.parked = { data, off, cb })
      this.window?.sent()
      ok = this.circuit.sendMessage(RELAY_CMD.DATA, data, off, Math.min(off + ONION_MAX_DATA, data.byteLength))
    }
    if (ok) return cb()
    // the Duplex calls write() again only after cb: one drain listener at a time
    this.circuit.onceDrain(() => cb())
  }

  /**
   * DATA from the other end.
   * @throws BAD_MESSAGE when it sent past its window, or after its END
   */
  data(data: Uint8Array): void {
    // the reader already has its end: a push now would throw out of the cell handler
    if (this.ended) throw HypernetError.BAD_MESSAGE('DATA after END')
    this.window?.received()
    const need = this.readerLen + data.byteLength
    if (this.readerBuf && need > this.readerBuf.byteLength) {
      // growing to the cap may still not fit (a buffer sized by the last batch, just under it)
      if (need > READER_BATCH_BYTES) this.flush()
      else {
        const grown = Buffer.allocUnsafe(Math.min(READER_BATCH_BYTES, Math.max(need, this.readerBuf.byteLength * 2)))
        this.readerBuf.copy(grown, 0, 0, this.readerLen)
        this.readerBuf = grown
      }
    }
    if (!this.readerBuf) {
      // a reader such as a Noise stream parses per chunk: the cells of one read go as one
      this.readerBuf = Buffer.allocUnsafe(this.readerSize)
      queueMicrotask(() => this.flush())
    }
    this.readerBuf.set(data, this.readerLen)
    this.readerLen += data.byteLength
  }

  /**
   * SENDME from the other end: the parked write goes on.
   * @throws BAD_MESSAGE for a stream without windows, a malformed SENDME or one for cells never sent
   */
  sendme(data: Uint8Array): void {
    if (!this.window) throw new Error('SENDME on a stream without windows')
    this.window.grant(decodeExact(onionSendme, data, 'sendme').cells)
    const parked = this.parked
    this.parked = null
    if (parked) this.write(parked.data, parked.cb, parked.off)
  }

  /** END from the other end: what is queued for the reader, then the end. */
  end(): void {
    this.ended = true
    this.flush()
    this.stream.push(null)
  }

  /** The reader wants more: SENDMEs for what it took. */
  resume(): void {
    if (!this.window || this.circuit.closed) return
    for (let n = this.window.due(); n > 0; n--) this.circuit.sendMessage(RELAY_CMD.SENDME, encode(onionSendme, { cells: this.window.cellsPerSendme }))
  }

  /** The circuit closed: hand over what is queued, then fail or end the stream. */
  close(err: Error | null): void {
    this.flush()
    const parked = this.parked
    this.parked = null
    if (this.stream.destroyed) return
    // a write that waited for a SENDME never went: the stream fails rather than lose it quietly
    parked?.cb(err ?? HypernetError.CIRCUIT_FAILED('the circuit closed before the other end took all the data', 'done'))
    if (this.stream.destroyed) return
    if (err) this.stream.destroy(err)
    else if (!this.stream.writableEnded) this.stream.end()
  }

  private flush(): void {
    const buf = this.readerBuf
    const n = this.readerLen
    this.readerBuf = null
    this.readerLen = 0
    if (!buf || n === 0) return
    this.readerSize = Math.max(ONION_MAX_DATA, n)
    if (this.stream.destroyed) return
    if (this.stream.push(buf.subarray(0, n))) this.resume()
    else this.circuit.pauseLink()
  }
}
