import sodium from 'sodium-native'
import { HypernetError } from '../errors.ts'
import { ONION_BODY_BYTES, ONION_MAX_HOPS, ONION_MESSAGE_BYTES, ONION_TAG_BYTES } from '../messages.ts'
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
 * client precomputes those filler bytes, as in Sphinx). Backward, each relay encrypts the
 * first body bytes and puts its own tag in front, dropping the last 16 bytes; the client
 * recomputes them, because the last hop zero-fills its message past ONION_MESSAGE_BYTES.
 */

const CT = ONION_BODY_BYTES - ONION_TAG_BYTES

interface CellKeys {
  polyKey: Buffer
  stream: Buffer
}

/** One direction of one hop: a key and the next counter. */
class Direction {
  private counter = 0n
  private peeked: CellKeys | null = null
  private readonly nonce = Buffer.alloc(24)
  // one buffer per direction, reused: every caller uses the keys before asking for the next
  private readonly scratch = Buffer.alloc(64 + ONION_BODY_BYTES)
  private readonly keys: CellKeys = { polyKey: this.scratch.subarray(0, 32), stream: this.scratch.subarray(64) }
  constructor(private readonly key: Buffer) {}

  /** The next cell's Poly1305 key and its keystream (ONION_BODY_BYTES), consuming the counter. */
  next(): CellKeys {
    const k = this.peek()
    this.commit()
    return k
  }

  /** The next cell's keys without consuming the counter (for a cell that may not be ours). */
  peek(): CellKeys {
    if (this.peeked) return this.peeked
    this.nonce.writeBigUInt64LE(this.counter, 0)
    // block 0 keys Poly1305, blocks 1.. encrypt: one call for both
    sodium.crypto_stream_xchacha20(this.scratch, this.nonce, this.key)
    this.peeked = this.keys
    return this.peeked
  }

  commit(): void {
    this.peeked = null
    this.counter++
  }
}

/** The layer state of one hop, on the relay or in the client's list of hops. */
export class HopCipher {
  private readonly fwd: Direction
  private readonly bwd: Direction
  constructor(keys: HopKeys) {
    this.fwd = new Direction(keys.forward)
    this.bwd = new Direction(keys.backward)
  }

  /**
   * Relay side, forward: check and remove this hop's layer.
   * @throws CIRCUIT_TAMPERED when the tag does not verify
   */
  peel(body: Uint8Array, where: string): Buffer {
    const { polyKey, stream } = this.fwd.next()
    const tag = body.subarray(0, ONION_TAG_BYTES)
    const ct = body.subarray(ONION_TAG_BYTES, ONION_BODY_BYTES)
    if (!sodium.crypto_onetimeauth_verify(tag, ct, polyKey)) throw HypernetError.CIRCUIT_TAMPERED(where)
    const out = Buffer.alloc(ONION_BODY_BYTES)
    out.set(ct, 0)
    xorInto(out, stream, 0, ONION_BODY_BYTES)
    return out
  }

  /** Relay side, backward: add this hop's layer to a body from the next hop (or a message). */
  wrap(body: Uint8Array): Buffer {
    const { polyKey, stream } = this.bwd.next()
    const out = Buffer.alloc(ONION_BODY_BYTES)
    out.set(body.subarray(0, CT), ONION_TAG_BYTES)
    const ct = out.subarray(ONION_TAG_BYTES)
    xorInto(ct, stream, 0, CT)
    sodium.crypto_onetimeauth(out.subarray(0, ONION_TAG_BYTES), ct, polyKey)
    return out
  }

  /** @internal client side: the next forward cell's keys. */
  nextForward(): CellKeys {
    return this.fwd.next()
  }

  /** @internal client side: the next backward cell's keys, not yet consumed. */
  peekBackward(): CellKeys {
    return this.bwd.peek()
  }

  /** @internal client side: consume the backward counter after a cell verified. */
  commitBackward(): void {
    this.bwd.commit()
  }
}

/**
 * Client side: wrap a relay message (ONION_MESSAGE_BYTES) for the last of `hops`.
 * @throws INTERNAL when the circuit is longer than ONION_MAX_HOPS
 */
export function sealOnion(hops: HopCipher[], message: Uint8Array): Buffer {
  const n = hops.length
  if (n < 1 || n > ONION_MAX_HOPS) throw HypernetError.INTERNAL(`a circuit has 1 to ${ONION_MAX_HOPS} hops, not ${n}`)
  const keys = hops.map((h) => h.nextForward())
  // filler: what hops 1..n-1 append, as the last hop will see it
  let filler: Buffer = Buffer.alloc(0)
  for (let j = 0; j < n - 1; j++) {
    const grown = Buffer.concat([filler, Buffer.alloc(ONION_TAG_BYTES)])
    xorInto(grown, keys[j].stream, ONION_BODY_BYTES - grown.length, grown.length)
    filler = grown
  }
  const usable = CT - filler.length
  const ct = Buffer.alloc(CT)
  ct.set(message.subarray(0, Math.min(message.byteLength, usable)), 0)
  xorInto(ct, keys[n - 1].stream, 0, usable)
  ct.set(filler, usable)
  let body = withTag(ct, keys[n - 1].polyKey)
  for (let j = n - 2; j >= 0; j--) {
    const inner = Buffer.from(body.subarray(0, CT))
    xorInto(inner, keys[j].stream, 0, CT)
    body = withTag(inner, keys[j].polyKey)
  }
  return body
}

/**
 * Client side: remove the layers from a body that came back and return the message with the
 * hop (1-based) that wrote it: the last hop, or, when only a shorter prefix of the circuit
 * authenticates it, the hop that ended there (TRUNCATED). Only the counters of the hops the
 * cell went through advance.
 * @throws CIRCUIT_TAMPERED when no prefix of the circuit authenticates the cell
 */
export function openOnion(hops: HopCipher[], body: Uint8Array): { message: Buffer; hop: number } {
  for (let k = hops.length; k >= 1; k--) {
    const message = tryOpen(hops.slice(0, k), body)
    if (!message) continue
    for (let j = 0; j < k; j++) hops[j].commitBackward()
    return { message, hop: k }
  }
  throw HypernetError.CIRCUIT_TAMPERED(`a cell from the circuit (${hops.length} hops), backward`)
}

/** Open `body` as written by the last of `hops`; null when a tag fails. */
function tryOpen(hops: HopCipher[], body: Uint8Array): Buffer | null {
  const n = hops.length
  const keys = hops.map((h) => h.peekBackward())
  // tails[j]: the last 16*j bytes of the body hop j+1 sent, which hop j dropped (the last
  // hop's message is zero there)
  const tails: Buffer[] = new Array(n + 1)
  tails[n] = Buffer.alloc(ONION_TAG_BYTES * n)
  for (let j = n - 1; j >= 1; j--) {
    const t = Buffer.from(tails[j + 1].subarray(0, ONION_TAG_BYTES * j))
    xorInto(t, keys[j].stream, CT - t.length, t.length)
    tails[j] = t
  }
  let cur: Uint8Array = body
  for (let j = 0; j < n; j++) {
    const tag = cur.subarray(0, ONION_TAG_BYTES)
    const ct = cur.subarray(ONION_TAG_BYTES, ONION_BODY_BYTES)
    if (!sodium.crypto_onetimeauth_verify(tag, ct, keys[j].polyKey)) return null
    const next = Buffer.alloc(ONION_BODY_BYTES)
    next.set(ct, 0)
    xorInto(next, keys[j].stream, 0, CT)
    next.set(tails[j + 1].subarray(tails[j + 1].length - ONION_TAG_BYTES), CT)
    cur = next
  }
  return Buffer.from(cur.subarray(0, ONION_MESSAGE_BYTES))
}

function withTag(ct: Buffer, polyKey: Buffer): Buffer {
  const out = Buffer.alloc(ONION_BODY_BYTES)
  ct.copy(out, ONION_TAG_BYTES)
  sodium.crypto_onetimeauth(out.subarray(0, ONION_TAG_BYTES), ct, polyKey)
  return out
}

/** dst[i] ^= src[from + i] for i < len; by 32-bit words when both sides are aligned. */
function xorInto(dst: Uint8Array, src: Uint8Array, from: number, len: number): void {
  let i = 0
  const so = src.byteOffset + from
  if (dst.byteOffset % 4 === 0 && so % 4 === 0) {
    const words = len >>> 2
    const d = new Uint32Array(dst.buffer, dst.byteOffset, words)
    const s = new Uint32Array(src.buffer, so, words)
    for (let w = 0; w < words; w++) d[w] ^= s[w]
    i = words << 2
  }
  for (; i < len; i++) dst[i] ^= src[from + i]
}
