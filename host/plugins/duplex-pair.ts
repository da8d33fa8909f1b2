import { randomBytes } from 'node:crypto'
import { Duplex } from 'streamx'

/**
 * Two in-memory streams joined back to back, shaped like HyperDHT's NoiseSecretStream (a
 * streamx Duplex with `publicKey` and `remotePublicKey`). Backpressure is real: a write
 * completes only when the other end's reader has room, so a peer that never reads stalls the
 * writer exactly as a slow network peer would. Destroying one end before both sides ended
 * resets the other with an ECONNRESET error, as a broken connection does.
 */
export class PairStream extends Duplex {
  other!: PairStream
  readonly publicKey: Buffer
  remotePublicKey: Buffer = Buffer.alloc(32)
  private blocked: ((err: Error | null) => void) | null = null
  private gotEnd = false
  private sentEnd = false

  constructor(publicKey: Buffer, highWaterMark: number) {
    super({ highWaterMark })
    this.publicKey = publicKey
  }

  override _write(data: Uint8Array, cb: (err: Error | null) => void): void {
    if (this.other.destroying) return cb(resetError())
    if (this.other.push(data)) cb(null)
    else this.other.blocked = cb // released when the other end's reader makes room
  }

  override _read(cb: (err: Error | null) => void): void {
    const release = this.blocked
    this.blocked = null
    release?.(null)
    cb(null)
  }

  override _final(cb: (err: Error | null) => void): void {
    this.sentEnd = true
    this.other.gotEnd = true
    this.other.push(null)
    cb(null)
  }

  override _predestroy(): void {
    const release = this.blocked
    this.blocked = null
    release?.(resetError())
  }

  override _destroy(cb: (err: Error | null) => void): void {
    // both directions ended cleanly: the other end closes on its own; otherwise it is a reset
    if (!(this.gotEnd && this.sentEnd) && !this.other.destroying) this.other.destroy(resetError())
    cb(null)
  }
}

export interface DuplexPairOptions {
  /** Keys the two ends present; random when absent. `a.remotePublicKey` is b's key and so on. */
  aKey?: Uint8Array
  bKey?: Uint8Array
  /** Readable and writable buffer of each end, in bytes (streamx's default is 16 KiB). */
  highWaterMark?: number
}

/** Create a connected pair [a, b]: what is written to a is read from b, and back. */
export function createDuplexPair(opts: DuplexPairOptions = {}): [PairStream, PairStream] {
  const hwm = opts.highWaterMark ?? 16 * 1024
  const a = new PairStream(Buffer.from(opts.aKey ?? randomBytes(32)), hwm)
  const b = new PairStream(Buffer.from(opts.bKey ?? randomBytes(32)), hwm)
  a.other = b
  b.other = a
  a.remotePublicKey = b.publicKey
  b.remotePublicKey = a.publicKey
  return [a, b]
}

function resetError(): Error {
  return Object.assign(new Error('ECONNRESET: the connection was reset by the peer'), { code: 'ECONNRESET' })
}
