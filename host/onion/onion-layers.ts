import sodium from 'sodium-native'
import { HypernetError } from '../errors.ts'
import { ONION_BODY_BYTES, ONION_MESSAGE_BYTES, ONION_TAG_BYTES, writeOnionMessage } from '../messages.ts'
import type { HopKeys } from './hop-handshake.ts'

/**
 * The layers of a RELAY cell body (ONION_BODY_BYTES = tag || ciphertext). Every hop, in each
 * direction, has its own key and a cell counter that is the nonce; a layer is XChaCha20 with
 * a Poly1305 tag whose one-time key is the keystream's block 0 (as in ChaCha20-Poly1305). A
 * replayed, dropped, reordered or altered cell meets the wrong counter or the wrong bytes, its
 * tag fails, and the circuit is torn down.
 *
 * Forward, each relay checks the tag at the front, decrypts the rest and appends 16 bytes of
 * its keystream, so the body keeps its size and no relay learns how many hops follow (the
 * client precomputes those filler bytes, as in Sphinx: client-layers.ts). Backward, each relay
 * encrypts the first body bytes and puts its own tag in front, dropping the last 16 bytes; the
 * client recomputes them, because the last hop zero-fills its message past ONION_MESSAGE_BYTES.
 *
 * Every cell crosses this code once per hop, so it allocates nothing per cell: each hop works
 * in buffers of its own, with the views sodium needs made once, and XORs the keystream by
 * 32-bit words. What a method returns is one of those buffers: valid until its next call.
 */

const TAG = ONION_TAG_BYTES
const CT = ONION_BODY_BYTES - TAG
// block 0 and the body's keystream: 1088 bytes, a length libsodium's vector code takes whole
// (a 1022-byte call costs 1.5x a 1088-byte one on this machine)
const KEYSTREAM_BYTES = 64 + Math.ceil(ONION_BODY_BYTES / 64) * 64

/** A buffer of ours with a 32-bit view of it, made once: the layers XOR by words. @internal */
export class Workspace {
  readonly buf: Buffer
  readonly words: Uint32Array
  constructor(bytes: number) {
    // Buffer.alloc has its own ArrayBuffer: offset 0, so word-aligned
    this.buf = Buffer.alloc(bytes)
    this.words = new Uint32Array(this.buf.buffer, this.buf.byteOffset, bytes >>> 2)
  }
}

/** One direction of one hop: a key and the next cell's counter. @internal */
export class Direction {
  private counter = 0
  private keyed = false
  private readonly nonce = Buffer.alloc(24)
  private readonly keystream = new Workspace(KEYSTREAM_BYTES)
  /** This cell's Poly1305 key (keystream block 0), once `prepare` ran. */
  readonly polyKey = this.keystream.buf.subarray(0, 32)
  private readonly stream = this.keystream.buf.subarray(64)
  private readonly streamWords = this.keystream.words.subarray(16)
  constructor(private readonly key: Buffer) {}

  /** Key the current cell (nonce = counter, little-endian) unless it is already keyed. */
  prepare(): void {
    if (this.keyed) return
    this.nonce.writeUInt32LE(this.counter % 0x100000000, 0)
    this.nonce.writeUInt32LE(Math.floor(this.counter / 0x100000000), 4)
    // block 0 keys Poly1305, blocks 1.. encrypt: one call for both
    sodium.crypto_stream_xchacha20(this.keystream.buf, this.nonce, this.key)
    this.keyed = true
  }

  /** ws[at + i] ^= body keystream[i] for i < len; `at` a multiple of 4. */
  xor(ws: Workspace, at: number, len: number): void {
    const words = ws.words
    const stream = this.streamWords
    const w0 = at >>> 2
    const n = len >>> 2
    for (let i = 0; i < n; i++) words[w0 + i] ^= stream[i]
    for (let i = n << 2; i < len; i++) ws.buf[at + i] ^= this.stream[i]
  }

  /** dst[at + i] ^= body keystream[from + i] for i < len (the few bytes of filler and tails). */
  xorTail(dst: Uint8Array, at: number, from: number, len: number): void {
    for (let i = 0; i < len; i++) dst[at + i] ^= this.stream[from + i]
  }

  /** body keystream[from, from + len) into dst at `at`. */
  copyTo(dst: Buffer, at: number, from: number, len: number): void {
    this.stream.copy(dst, at, from, from + len)
  }

  /** Done with this cell: the next one uses the next counter. */
  commit(): void {
    this.keyed = false
    this.counter++
  }
}

/** The layer state of one hop, on the relay or in the client's list of hops. */
export class HopCipher {
  /** @internal the client's view of this hop (client-layers.ts). */
  readonly fwd: Direction
  /** @internal */
  readonly bwd: Direction
  // peel: tag | ciphertext | the 16 bytes of keystream it appends
  private readonly peelWs = new Workspace(ONION_BODY_BYTES + TAG + 2)
  private readonly peelTag = this.peelWs.buf.subarray(0, TAG)
  private readonly peelCt = this.peelWs.buf.subarray(TAG, ONION_BODY_BYTES)
  private readonly peeled = this.peelWs.buf.subarray(TAG, ONION_BODY_BYTES + TAG)
  // wrap: tag | ciphertext
  private readonly wrapWs = new Workspace(ONION_BODY_BYTES + 2)
  private readonly wrapped = this.wrapWs.buf.subarray(0, ONION_BODY_BYTES)
  private readonly wrapTag = this.wrapWs.buf.subarray(0, TAG)
  private readonly wrapCt = this.wrapWs.buf.subarray(TAG, ONION_BODY_BYTES)

  constructor(keys: HopKeys) {
    this.fwd = new Direction(keys.forward)
    this.bwd = new Direction(keys.backward)
  }

  /**
   * Relay side, forward: check and remove this hop's layer. Returns this hop's peel buffer
   * (ONION_BODY_BYTES), valid until the next `peel`.
   * @throws CIRCUIT_TAMPERED when the tag does not verify
   */
  peel(body: Uint8Array, where: string): Buffer {
    if (body.byteLength !== ONION_BODY_BYTES) throw HypernetError.INTERNAL(`a cell body is ${ONION_BODY_BYTES} bytes, not ${body.byteLength}`)
    this.fwd.prepare()
    this.peelWs.buf.set(body)
    const ok = sodium.crypto_onetimeauth_verify(this.peelTag, this.peelCt, this.fwd.polyKey)
    if (ok) {
      this.fwd.xor(this.peelWs, TAG, CT)
      this.fwd.copyTo(this.peelWs.buf, ONION_BODY_BYTES, CT, TAG)
    }
    this.fwd.commit()
    if (!ok) throw HypernetError.CIRCUIT_TAMPERED(where)
    return this.peeled
  }

  /**
   * Relay side, backward: add this hop's layer to a body from the next hop. Returns this hop's
   * wrap buffer, valid until the next `wrap` or `wrapMessage`.
   */
  wrap(body: Uint8Array): Buffer {
    // a body shorter than the ciphertext (a bare message) is zero-filled, as the last hop's is
    const n = Math.min(body.byteLength, CT)
    if (Buffer.isBuffer(body)) body.copy(this.wrapped, TAG, 0, n)
    else this.wrapped.set(body.subarray(0, n), TAG)
    this.wrapped.fill(0, TAG + n)
    return this.seal()
  }

  /** Relay side, backward: a relay message (`cmd`, `data[start, end)`) under this hop's layer, as `wrap`. */
  wrapMessage(cmd: number, data: Uint8Array, start = 0, end = data.byteLength): Buffer {
    writeOnionMessage(this.wrapped, TAG, cmd, data, start, end)
    this.wrapped.fill(0, TAG + ONION_MESSAGE_BYTES)
    return this.seal()
  }

  private seal(): Buffer {
    this.bwd.prepare()
    this.bwd.xor(this.wrapWs, TAG, CT)
    sodium.crypto_onetimeauth(this.wrapTag, this.wrapCt, this.bwd.polyKey)
    this.bwd.commit()
    return this.wrapped
  }
}
