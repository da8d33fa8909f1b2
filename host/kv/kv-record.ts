import sodium from 'sodium-native'
import Persistent from 'hyperdht/lib/persistent.js'
import type { KeyPair } from 'hyperdht'
import { NAMESPACE } from '../constants.ts'
import { formatId } from '../encoding/ids.ts'
import { HypernetError } from '../errors.ts'
import { decodeExact, encode, kvEnvelope, kvRecord, kvSignable } from '../messages.ts'
import type { KvEnvelopeWire } from '../messages.ts'
import { blake2b, checkKeyName, checkValue, recordKeyPair } from './kv-address.ts'

/**
 * Signed records of the DHT store. A record version carries two signatures:
 * - the owner's, over BLAKE2b-256(NAMESPACE.KV_RECORD || kvSignable), which binds owner, key
 *   name, address, sequence number and value (or removal) together;
 * - the record key's (the address), made exactly as HyperDHT signs a mutable record
 *   (`Persistent.signMutable(seq, record)`), so plain HyperDHT nodes store and check it too.
 * A reader accepts a record only when both verify for the address it asked about: nobody but
 * the owner can write, overwrite or remove at an address, and a node cannot forge or alter what
 * it returns. Verification throws; there is no way around it.
 *
 * Rank: a higher seq wins; at equal seq a removal (tombstone) outranks a value; two different
 * values at one seq (only a misbehaving owner makes them) are ordered by their bytes, so every
 * reader picks the same one.
 */

/**
 * The largest encoded envelope: version 1 + flags 1 + address 32 + seq 9 + length 3 + record
 * (version 1 + flags 1 + owner 32 + key 1+64 + value 3+1000 + signature 64) + signature 64.
 * A whole PUT, with HyperDHT's request header, stays under one 1400-byte datagram.
 */
export const MAX_ENVELOPE_BYTES = 1276

/** A verified record version, with the envelope to store as it is. */
export interface KvRecord {
  address: Buffer
  seq: number
  tombstone: boolean
  owner: Buffer
  key: string
  value: Buffer | null
  envelope: KvEnvelopeWire
}

/**
 * Sign a new version of `key` for `owner`: a value, or a removal when `value` is null.
 * @throws USAGE, KV_TOO_LARGE for a bad key name or value
 */
export function signRecord(owner: KeyPair, key: string, seq: number, value: Uint8Array | null): KvRecord {
  checkKeyName(key)
  if (value !== null) checkValue(value)
  if (!Number.isSafeInteger(seq) || seq < 0) throw HypernetError.USAGE(`seq: expected a non-negative integer, got ${seq}`)
  const rk = recordKeyPair(owner, key)
  const tombstone = value === null
  const signable = { address: rk.publicKey, seq, tombstone, owner: owner.publicKey, key, value }
  const ownerSig = Buffer.alloc(64)
  sodium.crypto_sign_detached(ownerSig, signedDigest(signable), owner.secretKey)
  const record = encode(kvRecord, { tombstone, owner: owner.publicKey, key, value, signature: ownerSig })
  const signature = Persistent.signMutable(seq, record, rk)
  return open(rk.publicKey, { address: rk.publicKey, seq, record, signature })
}

/**
 * Verify a stored version of the record at `address`: the record key's signature, then the
 * record, then the owner's signature.
 * @throws BAD_MESSAGE when malformed; SIGNATURE_INVALID when a signature is not the owner's
 */
export function openEnvelope(address: Uint8Array, env: { seq: number; record: Uint8Array; signature: Uint8Array }): KvRecord {
  if (!Persistent.verifyMutable(env.signature, env.seq, env.record, address)) {
    throw HypernetError.SIGNATURE_INVALID(`kv record at ${formatId(address)}: not signed by the address's key`)
  }
  return open(address, { address, seq: env.seq, record: env.record, signature: env.signature })
}

/** Decode and verify an encoded envelope for `address`. @throws BAD_MESSAGE, SIGNATURE_INVALID */
export function openEnvelopeBytes(address: Uint8Array, bytes: Uint8Array): KvRecord {
  const env = decodeExact(kvEnvelope, bytes, 'kv envelope')
  if (!Buffer.from(env.address).equals(Buffer.from(address)))
    throw HypernetError.BAD_MESSAGE(`kv envelope: names address ${formatId(env.address)}, expected ${formatId(address)}`)
  return openEnvelope(address, env)
}

/** The encoded envelope of a record, as nodes store it. */
export function envelopeBytes(r: KvRecord): Buffer {
  return encode(kvEnvelope, r.envelope)
}

/** Order two versions of one record: > 0 when `a` outranks `b`. */
export function compareRecords(a: KvRecord, b: KvRecord): number {
  if (a.seq !== b.seq) return a.seq > b.seq ? 1 : -1
  if (a.tombstone !== b.tombstone) return a.tombstone ? 1 : -1
  return Buffer.compare(Buffer.from(a.envelope.record), Buffer.from(b.envelope.record))
}

function open(address: Uint8Array, env: KvEnvelopeWire): KvRecord {
  const r = decodeExact(kvRecord, env.record, 'kv record')
  try {
    checkKeyName(r.key)
  } catch (err) {
    throw HypernetError.BAD_MESSAGE(`kv record: ${(err as Error).message.replace(/^[A-Z_]+: /, '')}`)
  }
  const signable = { address, seq: env.seq, tombstone: r.tombstone, owner: r.owner, key: r.key, value: r.value }
  if (!sodium.crypto_sign_verify_detached(r.signature, signedDigest(signable), r.owner)) {
    throw HypernetError.SIGNATURE_INVALID(`kv record at ${formatId(address)}: the owner signature does not verify against ${formatId(r.owner)}`)
  }
  return {
    address: Buffer.from(address),
    seq: env.seq,
    tombstone: r.tombstone,
    owner: Buffer.from(r.owner),
    key: r.key,
    value: r.value === null ? null : Buffer.from(r.value),
    envelope: { address: Buffer.from(address), seq: env.seq, record: Buffer.from(env.record), signature: Buffer.from(env.signature) }
  }
}

function signedDigest(s: { address: Uint8Array; seq: number; tombstone: boolean; owner: Uint8Array; key: string; value: Uint8Array | null }): Buffer {
  return blake2b(NAMESPACE.KV_RECORD, encode(kvSignable, s))
}
