import { HypernetError } from '../errors.ts'
import type { PairStream } from './duplex-pair.ts'

/**
 * The peer's end of a harness connection. Nothing reads it until you call read()/readAll(), so
 * a test can play a peer that never reads and watch backpressure reach the plugin.
 */
export class HarnessConnection {
  /** The error the stream was destroyed with (a plugin crash resets it), once closed. */
  error: Error | null = null
  /** Resolves when the stream is closed, with its error or null for a clean close. */
  readonly closed: Promise<Error | null>
  private chunks: Buffer[] = []
  private buffered = 0
  private ended = false

  constructor(readonly stream: PairStream) {
    this.closed = new Promise((resolve) => {
      stream.on('error', (err: Error) => {
        this.error = err
      })
      stream.on('close', () => resolve(this.error))
    })
    stream.on('end', () => {
      this.ended = true
    })
  }

  /** The key the peer presents to the plugin. */
  get peerKey(): Buffer {
    return this.stream.publicKey
  }

  /** Write bytes; resolves once the stream took them (at once, or at 'drain'). */
  write(data: Uint8Array | string): Promise<void> {
    const bytes = typeof data === 'string' ? Buffer.from(data) : data
    if (this.stream.write(bytes)) return Promise.resolve()
    return new Promise((resolve, reject) => {
      const done = (err?: Error): void => {
        this.stream.off('drain', done)
        this.stream.off('close', closed)
        err ? reject(err) : resolve()
      }
      const closed = (): void => done(this.error ?? HypernetError.CONNECTION_FAILED('the connection closed while writing'))
      this.stream.on('drain', done)
      this.stream.on('close', closed)
    })
  }

  /**
   * Exactly `len` bytes from the plugin.
   * @throws CONNECTION_FAILED when the stream ends or fails first; TIMEOUT after `timeoutMs`
   */
  async read(len: number, timeoutMs = 10_000): Promise<Buffer> {
    const deadline = Date.now() + timeoutMs
    while (this.buffered < len) {
      const chunk = this.stream.read() as Buffer | null
      if (chunk !== null) {
        this.chunks.push(chunk)
        this.buffered += chunk.byteLength
        continue
      }
      if (this.ended || this.stream.destroyed) {
        throw HypernetError.CONNECTION_FAILED(`expected ${len} bytes, the stream ${this.error ? `failed (${this.error.message})` : 'ended'} after ${this.buffered}`)
      }
      if (Date.now() >= deadline) throw HypernetError.TIMEOUT(`expected ${len} bytes within ${timeoutMs} ms, got ${this.buffered}`)
      await this.readable(deadline - Date.now())
    }
    const all = Buffer.concat(this.chunks)
    this.chunks = all.byteLength > len ? [all.subarray(len)] : []
    this.buffered = all.byteLength - len
    return all.subarray(0, len)
  }

  /** Everything until the plugin ends the stream (or it fails: then what arrived before). */
  async readAll(timeoutMs = 10_000): Promise<Buffer> {
    const deadline = Date.now() + timeoutMs
    for (;;) {
      const chunk = this.stream.read() as Buffer | null
      if (chunk !== null) {
        this.chunks.push(chunk)
        this.buffered += chunk.byteLength
        continue
      }
      if (this.ended || this.stream.destroyed) break
      if (Date.now() >= deadline) throw HypernetError.TIMEOUT(`the stream did not end within ${timeoutMs} ms`)
      await this.readable(deadline - Date.now())
    }
    const all = Buffer.concat(this.chunks)
    this.chunks = []
    this.buffered = 0
    return all
  }

  /** End our side cleanly. */
  end(): void {
    this.stream.end(undefined)
  }

  /** Reset the connection, as a peer that vanishes. */
  destroy(): void {
    this.stream.destroy()
  }

  private readable(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const s = this.stream
      const done = (): void => {
        clearTimeout(t)
        s.off('readable', done)
        s.off('end', done)
        s.off('close', done)
        resolve()
      }
      const t = setTimeout(done, Math.max(1, ms))
      s.on('readable', done)
      s.on('end', done)
      s.on('close', done)
    })
  }
}
