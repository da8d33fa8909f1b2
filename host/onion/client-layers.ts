import sodium from 'sodium-native'
import { HypernetError } from '../errors.ts'
import { ONION_BODY_BYTES, ONION_MAX_HOPS, ONION_MESSAGE_BYTES, ONION_TAG_BYTES, writeOnionMessage } from '../messages.ts'
import { Workspace } from './onion-layers.ts'
import type { HopCipher } from './onion-layers.ts'

const TAG = ONION_TAG_BYTES
const CT = ONION_BODY_BYTES - TAG

/**
 * The client's side of the layers (onion-layers.ts explains them): every hop's layer on a
 * message going out, and off a body coming back. Like the relay's, it works in buffers of its
 * own made once, so a cell costs no allocation; what `seal` and `open` return is valid until
 * their next call.
 *
 * Sealing builds the cell from the inside out in one buffer: hop j's body sits at 16*j, so the
 * layer of hop j covers the first CT bytes of hop j+1's body where they already are, and the 16
 * bytes hop j will append (the filler) are computed in place after the last hop's message.
 */
export class CircuitLayers {
  /** @internal the hops, first to last (tests write cells under them). */
  readonly hops: HopCipher[] = []
  private readonly sealWs = new Workspace(ONION_BODY_BYTES + TAG * (ONION_MAX_HOPS - 1) + 2)
  private readonly sealBuf = this.sealWs.buf
  private readonly sealed = this.sealBuf.subarray(0, ONION_BODY_BYTES)
  /** tags[j], cts[j]: hop j's tag and ciphertext (its body at 16*j). */
  private readonly tags: Buffer[] = []
  private readonly cts: Buffer[] = []
  private readonly openWs = new Workspace(ONION_BODY_BYTES + 2)
  private readonly openBuf = this.openWs.buf
  private readonly openTag = this.openBuf.subarray(0, TAG)
  private readonly openCt = this.openBuf.subarray(TAG, ONION_BODY_BYTES)
  private readonly opened = this.openBuf.subarray(0, ONION_MESSAGE_BYTES)
  /** tails[j]: the last 16*j bytes of what hop j+1 sent back, which hop j dropped. */
  private readonly tails: Buffer[] = []

  constructor(hops: readonly HopCipher[] = []) {
    for (let j = 0; j < ONION_MAX_HOPS; j++) {
      this.tags.push(this.sealBuf.subarray(TAG * j, TAG * j + TAG))
      this.cts.push(this.sealBuf.subarray(TAG * j + TAG, TAG * j + ONION_BODY_BYTES))
    }
    for (let j = 0; j <= ONION_MAX_HOPS; j++) this.tails.push(Buffer.alloc(TAG * j))
    for (const h of hops) this.add(h)
  }

  get length(): number {
    return this.hops.length
  }

  /**
   * Append a hop (after its handshake).
   * @throws INTERNAL past ONION_MAX_HOPS
   */
  add(hop: HopCipher): void {
    if (this.hops.length >= ONION_MAX_HOPS) throw HypernetError.INTERNAL(`a circuit has at most ${ONION_MAX_HOPS} hops`)
    this.hops.push(hop)
  }

  /**
   * A relay message (`cmd`, `data[start, end)`) under every hop's layer: a RELAY cell body,
   * valid until the next seal.
   * @throws INTERNAL with no hops, or data past ONION_MAX_DATA
   */
  seal(cmd: number, data: Uint8Array, start = 0, end = data.byteLength): Buffer {
    const n = this.checkHops()
    writeOnionMessage(this.sealBuf, TAG * n, cmd, data, start, end)
    return this.sealPlaced(n, ONION_MESSAGE_BYTES)
  }

  /** A message already encoded (at most ONION_MESSAGE_BYTES are used), as `seal`. */
  sealMessage(message: Uint8Array): Buffer {
    const n = this.checkHops()
    const len = Math.min(message.byteLength, ONION_MESSAGE_BYTES)
    this.sealBuf.set(message.subarray(0, len), TAG * n)
    return this.sealPlaced(n, len)
  }

  private checkHops(): number {
    const n = this.hops.length
    if (n < 1) throw HypernetError.INTERNAL(`a circuit has 1 to ${ONION_MAX_HOPS} hops, not ${n}`)
    return n
  }

  /** The last hop's message (`len` bytes) is at 16*n; layer it for every hop. */
  private sealPlaced(n: number, len: number): Buffer {
    const hops = this.hops
    for (let j = 0; j < n; j++) hops[j].fwd.prepare()
    const last = hops[n - 1].fwd
    const base = TAG * n
    const usable = CT - TAG * (n - 1)
    // past the message: zeros, then the filler, which starts as zeros too
    this.sealBuf.fill(0, base + len, base + CT)
    last.xor(this.sealWs, base, usable)
    const filler = base + usable
    for (let j = 0; j < n - 1; j++) hops[j].fwd.xorTail(this.sealBuf, filler, ONION_BODY_BYTES - TAG * (j + 1), TAG * (j + 1))
    sodium.crypto_onetimeauth(this.tags[n - 1], this.cts[n - 1], last.polyKey)
    for (let j = n - 2; j >= 0; j--) {
      hops[j].fwd.xor(this.sealWs, TAG * j + TAG, CT)
      sodium.crypto_onetimeauth(this.tags[j], this.cts[j], hops[j].fwd.polyKey)
    }
    for (let j = 0; j < n; j++) hops[j].fwd.commit()
    return this.sealed
  }

  /**
   * Remove the layers from a body that came back: the message (ONION_MESSAGE_BYTES, valid until
   * the next open) with the hop (1-based) that wrote it: the last hop, or, when only a shorter
   * prefix of the circuit authenticates it, the hop that ended there (TRUNCATED). Only the
   * counters of the hops the cell went through advance.
   * @throws CIRCUIT_TAMPERED when no prefix of the circuit authenticates the cell
   */
  open(body: Uint8Array): { message: Buffer; hop: number } {
    const hops = this.hops
    for (let k = hops.length; k >= 1; k--) {
      if (!this.tryOpen(k, body)) continue
      for (let j = 0; j < k; j++) hops[j].bwd.commit()
      return { message: this.opened, hop: k }
    }
    throw HypernetError.CIRCUIT_TAMPERED(`a cell from the circuit (${hops.length} hops), backward`)
  }

  /** Open `body` as written by hop k (1-based) into openBuf; false when a tag fails. */
  private tryOpen(k: number, body: Uint8Array): boolean {
    const hops = this.hops
    for (let j = 0; j < k; j++) hops[j].bwd.prepare()
    // the last hop's message is zero past ONION_MESSAGE_BYTES, so its dropped tail is known
    this.tails[k].fill(0)
    for (let j = k - 1; j >= 1; j--) {
      this.tails[j + 1].copy(this.tails[j], 0, 0, TAG * j)
      hops[j].bwd.xorTail(this.tails[j], 0, CT - TAG * j, TAG * j)
    }
    if (body.byteLength !== ONION_BODY_BYTES) throw HypernetError.INTERNAL(`a cell body is ${ONION_BODY_BYTES} bytes, not ${body.byteLength}`)
    this.openBuf.set(body)
    for (let j = 0; j < k; j++) {
      if (!sodium.crypto_onetimeauth_verify(this.openTag, this.openCt, hops[j].bwd.polyKey)) return false
      hops[j].bwd.xor(this.openWs, TAG, CT)
      this.openBuf.copyWithin(0, TAG, ONION_BODY_BYTES)
      const t = this.tails[j + 1]
      t.copy(this.openBuf, CT, t.byteLength - TAG)
    }
    return true
  }
}

/**
 * Client side: wrap a relay message (ONION_MESSAGE_BYTES) for the last of `hops`; a copy.
 * @throws INTERNAL when the circuit has no hops or more than ONION_MAX_HOPS
 */
export function sealOnion(hops: HopCipher[], message: Uint8Array): Buffer {
  if (hops.length > ONION_MAX_HOPS) throw HypernetError.INTERNAL(`a circuit has 1 to ${ONION_MAX_HOPS} hops, not ${hops.length}`)
  return Buffer.from(new CircuitLayers(hops).sealMessage(message))
}

/**
 * Client side: `CircuitLayers.open` for `hops`, the message a copy.
 * @throws CIRCUIT_TAMPERED when no prefix of the circuit authenticates the cell
 */
export function openOnion(hops: HopCipher[], body: Uint8Array): { message: Buffer; hop: number } {
  const { message, hop } = new CircuitLayers(hops).open(body)
  return { message: Buffer.from(message), hop }
}
