import { createHash } from 'node:crypto'
import DHT from 'hyperdht'
import type { KeyPair } from 'hyperdht'
// hyperdht's own signer and checker of mutable records, so a record made here is one the DHT takes
import Persistent from 'hyperdht/lib/persistent.js'
import { NAMESPACE } from '../constants.ts'
import { HypernetError } from '../errors.ts'
import { HIDDEN_DESCRIPTOR_MAX, decodeExact, encode, hiddenDescriptor } from '../messages.ts'
import type { HiddenDescriptorWire, OnionRecordWire } from '../messages.ts'

/**
 * Hidden service descriptors: a HyperDHT mutable record under the hidden key whose value is a
 * HiddenDescriptorWire (the relay keys of its introduction points). The service signs it
 * itself and hands it to a relay through a circuit (PUBLISH); clients fetch it the same way
 * (FETCH) and check the signature themselves, because the relay that fetched it may lie.
 */

/**
 * A host's hidden key pair for one of its services: stable across restarts, unrelated to the
 * service's public key, so nothing links the hidden service to the host or its other services.
 *   seed = SHA-256(NAMESPACE.HIDDEN_KEY || host secret key || service hash)
 */
export function hiddenKeyPair(hostSecretKey: Uint8Array, serviceHash: Uint8Array): KeyPair {
  const seed = createHash('sha256').update(NAMESPACE.HIDDEN_KEY).update(hostSecretKey).update(serviceHash).digest()
  return DHT.keyPair(seed)
}

/** Sign a descriptor listing `intros` (relay keys) as the record to PUBLISH, with `seq` above the last. */
export function signDescriptor(keyPair: KeyPair, intros: Uint8Array[], seq: number, updated = Math.floor(Date.now() / 1000)): OnionRecordWire {
  const value = encode(hiddenDescriptor, { updated, intros })
  if (value.byteLength > HIDDEN_DESCRIPTOR_MAX) throw HypernetError.INTERNAL(`hidden descriptor: ${value.byteLength} bytes, above ${HIDDEN_DESCRIPTOR_MAX}`)
  return { key: keyPair.publicKey, seq, signature: Persistent.signMutable(seq, value, keyPair), value }
}

/** Whether hyperdht's signature by `record.key` covers its seq and value. Never throws. */
export function verifyRecord(record: OnionRecordWire): boolean {
  try {
    return Persistent.verifyMutable(Buffer.from(record.signature), record.seq, Buffer.from(record.value), Buffer.from(record.key))
  } catch {
    return false
  }
}

/**
 * The descriptor in a fetched record, checked against the key asked for.
 * @throws CIRCUIT_FAILED (reason `descriptor`) when the record is for another key, its signature
 *   fails, or its value is malformed: the relay that fetched it lied or the record is broken
 */
export function openDescriptor(key: Uint8Array, record: OnionRecordWire): HiddenDescriptorWire {
  const bad = (why: string) =>
    HypernetError.CIRCUIT_FAILED(`the descriptor of hidden service ${Buffer.from(key).toString('hex').slice(0, 16)}… ${why}`, 'descriptor')
  if (!Buffer.from(record.key).equals(Buffer.from(key))) throw bad('came back under another key')
  if (!verifyRecord(record)) throw bad('does not verify against its key (a relay altered it)')
  try {
    return decodeExact(hiddenDescriptor, record.value, 'hidden descriptor')
  } catch (err) {
    throw bad(`is malformed: ${(err as Error).message}`)
  }
}

/** Store a signed record from this node (a relay, for a circuit). @throws TIMEOUT */
export async function storeRecord(dht: DHT, record: OnionRecordWire, timeoutMs: number): Promise<void> {
  // the signature comes with the record: this node holds no key, it only carries it
  const put = dht.mutablePut({ publicKey: Buffer.from(record.key), secretKey: Buffer.alloc(64) }, Buffer.from(record.value), {
    seq: record.seq,
    signMutable: () => Buffer.from(record.signature)
  })
  await withTimeout(put, timeoutMs, 'storing a hidden service descriptor')
}

/** The newest signed record under `key`, or null. @throws TIMEOUT */
export async function fetchRecord(dht: DHT, key: Buffer, timeoutMs: number): Promise<OnionRecordWire | null> {
  const rec = await withTimeout(dht.mutableGet(key, { latest: true }), timeoutMs, 'looking up a hidden service descriptor')
  if (!rec) return null
  return { key, seq: rec.seq, signature: rec.signature, value: rec.value }
}

function withTimeout<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(HypernetError.TIMEOUT(`${what} took over ${ms} ms`)), ms)
  })
  return Promise.race([p, timeout]).finally(() => clearTimeout(timer))
}
