import sodium from 'sodium-native'
import type { KeyPair } from 'hyperdht'
import { KV, NAMESPACE } from '../constants.ts'
import { decodeId } from '../encoding/ids.ts'
import { HypernetError } from '../errors.ts'

/**
 * Where values live in the DHT store.
 *
 * A named value's address is its own ed25519 public key, derived from the owner's secret key
 * and the key name:
 *   seed    = BLAKE2b-256(NAMESPACE.KV_KEY || owner secret key || utf8(key name))
 *   address = the public key of crypto_sign_seed_keypair(seed)
 * Only the owner can derive it, so only the owner can sign at that address (the "record key");
 * each record also carries the owner's own signature, so readers learn and verify who owns an
 * address. The DHT target is BLAKE2b-256(address): where HyperDHT keeps a mutable record for
 * that key, so plugin nodes and plain HyperDHT nodes agree on where a record lives.
 *
 * A content-addressed (immutable) value's address is BLAKE2b-256(value), HyperDHT's own
 * immutable-record target.
 *
 * Key names: 1-64 bytes of UTF-8 with no control characters, and never something that reads as
 * an address (64 hex or 52 z32 characters), so `kv get <key | address>` is never ambiguous.
 */

const CONTROL = /[\u0000-\u001f\u007f-\u009f]/

/** BLAKE2b-256 of the concatenated parts. */
export function blake2b(...parts: Uint8Array[]): Buffer {
  const out = Buffer.alloc(32)
  sodium.crypto_generichash(out, parts.length === 1 ? parts[0] : Buffer.concat(parts))
  return out
}

/**
 * Check a key name and return it.
 * @throws USAGE naming the field when it is empty, has control characters or reads as an
 * address; KV_TOO_LARGE when it is longer than KV.maxKeyBytes
 */
export function checkKeyName(key: unknown, field = 'key'): string {
  if (typeof key !== 'string' || key.length === 0) {
    throw HypernetError.USAGE(`${field}: expected a key name of 1-${KV.maxKeyBytes} bytes of UTF-8 text, got ${JSON.stringify(key ?? null)}`)
  }
  const bytes = Buffer.byteLength(key)
  if (bytes > KV.maxKeyBytes) throw HypernetError.KV_TOO_LARGE(field, bytes, KV.maxKeyBytes)
  if (CONTROL.test(key) || key.includes('\ufffd')) {
    throw HypernetError.USAGE(`${field}: expected text without control characters, got ${JSON.stringify(key)}`)
  }
  if (decodeId(key) !== null) {
    throw HypernetError.USAGE(`${field}: expected a key name, got ${JSON.stringify(key)}, which reads as an address (64 hex or 52 z32 characters)`)
  }
  return key
}

/** Check a value's size. @throws KV_TOO_LARGE naming the field */
export function checkValue(value: Uint8Array, field = 'value'): Uint8Array {
  if (value.byteLength > KV.maxValueBytes) throw HypernetError.KV_TOO_LARGE(field, value.byteLength, KV.maxValueBytes)
  return value
}

/** The record key pair of `key` owned by `owner`; its public key is the value's address. */
export function recordKeyPair(owner: KeyPair, key: string): KeyPair {
  const seed = blake2b(NAMESPACE.KV_KEY, owner.secretKey, Buffer.from(checkKeyName(key)))
  const publicKey = Buffer.alloc(32)
  const secretKey = Buffer.alloc(64)
  sodium.crypto_sign_seed_keypair(publicKey, secretKey, seed)
  return { publicKey, secretKey }
}

/** The DHT target of a named value's address (HyperDHT's mutable-record target). */
export function recordTarget(address: Uint8Array): Buffer {
  return blake2b(address)
}

/** The address of a content-addressed value (HyperDHT's immutable-record target). */
export function contentAddress(value: Uint8Array): Buffer {
  return blake2b(value)
}

/** Parse an address (hex or z32). @throws USAGE naming the field */
export function parseAddress(ref: unknown, field = 'address'): Buffer {
  const id = typeof ref === 'string' ? decodeId(ref) : null
  if (!id) throw HypernetError.USAGE(`${field}: expected a 32-byte address as 64 hex or 52 z32 characters, got ${JSON.stringify(ref ?? null)}`)
  return id
}
