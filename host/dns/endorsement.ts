import { createHash } from 'node:crypto'
import sodium from 'sodium-native'
import type DHT from 'hyperdht'
import type { KeyPair } from 'hyperdht'
import { NAMESPACE } from '../constants.ts'
import { HypernetError } from '../errors.ts'
import { formatId } from '../encoding/ids.ts'
import { ENDORSEMENT_MAX_GRANTS, decodeExact, encode, endorsement, endorsementBody } from '../messages.ts'
import type { EndorsementGrantWire, EndorsementWire } from '../messages.ts'
import type { EndorsementCheck, LookupPeer } from './lookup.ts'
import { getMutable } from './mutable-get.ts'

/**
 * Publisher endorsements: "host K runs my app N / my code H", signed by the publisher.
 *
 * Where: a HyperDHT mutable record under a key derived from the publisher key and the host
 * key, so a reader who knows both (from a host's descriptor) finds it with one DHT walk, and
 * only the publisher can write it. The key is the publisher key blinded as Tor v3 blinds onion
 * keys: b = SHA-512(NAMESPACE.ENDORSEMENT_KEY || publisher || host) mod L, record key = b·P
 * (anyone), signing scalar = b·p mod L (the publisher). One record per (publisher, host) holds
 * up to 16 grants. Chosen over an immutable record announced under a topic: announcements
 * expire after ~20 minutes and would need the publisher online to refresh them; a mutable
 * record lives ~48 hours and anyone holding it may store it again.
 *
 * What: the record's value is an `endorsement` struct (messages.ts) carrying its own ed25519
 * signature by the publisher key over BLAKE2b-256(NAMESPACE.ENDORSEMENT || body), so it can be
 * checked on its own; the blinded key's signature only proves who may overwrite the record.
 * A reader accepts a record only if it names this publisher and this host, its signature
 * verifies, it has not expired, and a grant names the entry's code hash or app name.
 */

const L = 2n ** 252n + 27742317777372353535851937790883648493n

function toBig(b: Uint8Array): bigint {
  let n = 0n
  for (let i = b.length - 1; i >= 0; i--) n = (n << 8n) | BigInt(b[i])
  return n
}

function toLe32(n: bigint): Buffer {
  const out = Buffer.alloc(32)
  for (let i = 0; i < 32; i++) {
    out[i] = Number(n & 0xffn)
    n >>= 8n
  }
  return out
}

const sha512 = (...parts: Uint8Array[]) => {
  const h = createHash('sha512')
  for (const p of parts) h.update(p)
  return h.digest()
}

function blind(publisher: Uint8Array, host: Uint8Array): bigint {
  return toBig(sha512(NAMESPACE.ENDORSEMENT_KEY, publisher, host)) % L
}

/** The record key of the endorsements `publisher` gives `host`. @throws BAD_KEY when the publisher key is not a valid point */
export function endorsementRecordKey(publisher: Uint8Array, host: Uint8Array): Buffer {
  const out = Buffer.alloc(32)
  try {
    sodium.crypto_scalarmult_ed25519_noclamp(out, toLe32(blind(publisher, host)), Buffer.from(publisher))
  } catch {
    throw HypernetError.BAD_KEY('publisher', formatId(Buffer.from(publisher)))
  }
  return out
}

/** The key pair that writes the record (HyperDHT calls `sign` for the mutable record). */
export function endorsementKeyPair(publisher: KeyPair, host: Uint8Array): { publicKey: Buffer; sign: (m: Uint8Array) => Buffer } {
  const h = sha512(publisher.secretKey.subarray(0, 32))
  h[0] &= 248
  h[31] &= 127
  h[31] |= 64
  const b = blind(publisher.publicKey, host)
  const a = (toBig(h.subarray(0, 32)) * b) % L
  const publicKey = Buffer.alloc(32)
  sodium.crypto_scalarmult_ed25519_base_noclamp(publicKey, toLe32(a))
  const prefix = sha512(NAMESPACE.ENDORSEMENT_KEY, h.subarray(32), toLe32(b)).subarray(0, 32)
  return {
    publicKey,
    sign(m) {
      const r = toBig(sha512(prefix, m)) % L
      const R = Buffer.alloc(32)
      sodium.crypto_scalarmult_ed25519_base_noclamp(R, toLe32(r))
      const k = toBig(sha512(R, publicKey, m)) % L
      return Buffer.concat([R, toLe32((r + k * a) % L)])
    }
  }
}

function signable(e: Omit<EndorsementWire, 'signature'>): Buffer {
  const out = Buffer.alloc(32)
  sodium.crypto_generichash(out, Buffer.concat([NAMESPACE.ENDORSEMENT, encode(endorsementBody, e)]))
  return out
}

/** Sign an endorsement body with the publisher's key pair. */
export function signEndorsement(publisher: KeyPair, body: Omit<EndorsementWire, 'signature'>): EndorsementWire {
  const signature = Buffer.alloc(64)
  sodium.crypto_sign_detached(signature, signable(body), publisher.secretKey)
  return { ...body, signature }
}

/**
 * Decode and check a record's value for (publisher, host); null for anything else (malformed,
 * another pair, a bad signature, expired). Never throws.
 */
export function openEndorsement(
  value: Uint8Array,
  publisher: Uint8Array,
  host: Uint8Array,
  nowSeconds = Math.floor(Date.now() / 1000)
): EndorsementWire | null {
  try {
    const e = decodeExact(endorsement, value, 'endorsement')
    // the signature covers the bytes as received, not a re-encoding of what was decoded
    const body = Buffer.from(value.subarray(0, value.byteLength - 64))
    if (!body.equals(encode(endorsementBody, e))) return null
    if (!Buffer.from(e.publisher).equals(Buffer.from(publisher)) || !Buffer.from(e.host).equals(Buffer.from(host))) return null
    if (!sodium.crypto_sign_verify_detached(Buffer.from(e.signature), signable(e), Buffer.from(publisher))) return null
    if (e.expires !== null && e.expires <= nowSeconds) return null
    return e
  } catch {
    return null
  }
}

/** Fetch the newest valid endorsement `publisher` gave `host`; null when there is none. */
export async function fetchEndorsement(dht: DHT, publisher: Uint8Array, host: Uint8Array, signal?: AbortSignal): Promise<EndorsementWire | null> {
  let key: Buffer
  try {
    key = endorsementRecordKey(publisher, host)
  } catch {
    return null
  }
  const rec = await getMutable(dht, key, { signal }).catch(() => null)
  return rec ? openEndorsement(rec.value, publisher, host) : null
}

/** Whether one of the grants covers an app entry (exact code hash, or the app's name). */
export function grantCovers(grants: EndorsementGrantWire[], entry: { app: string; codeHash: string }): boolean {
  return grants.some((g) => (g.codeHash === null || formatId(Buffer.from(g.codeHash)) === entry.codeHash) && (g.name === null || g.name === entry.app))
}

/**
 * Publish (or extend) the endorsement of `host` by `publisher`: the grants already in its
 * record are kept, `grant` is added.
 * @throws USAGE when the record would hold more than 16 grants
 */
export async function publishEndorsement(
  dht: DHT,
  publisher: KeyPair,
  host: Buffer,
  grant: EndorsementGrantWire,
  opts: { expires?: number | null; now?: number } = {}
): Promise<{ record: EndorsementWire; key: Buffer; seq: number }> {
  const now = opts.now ?? Math.floor(Date.now() / 1000)
  const kp = endorsementKeyPair(publisher, host)
  const prev = await getMutable(dht, kp.publicKey)
  const kept = (prev && openEndorsement(prev.value, publisher.publicKey, host, now)?.grants) || []
  const same = (a: EndorsementGrantWire) => a.name === grant.name && Buffer.compare(Buffer.from(a.codeHash ?? []), Buffer.from(grant.codeHash ?? [])) === 0
  const grants = [...kept.filter((g) => !same(g)), grant]
  if (grants.length > ENDORSEMENT_MAX_GRANTS)
    throw HypernetError.USAGE(
      `endorse: host ${formatId(host)} already holds ${kept.length} grants from this publisher, the most one record holds is ${ENDORSEMENT_MAX_GRANTS}`
    )
  const record = signEndorsement(publisher, { publisher: publisher.publicKey, host, issued: now, expires: opts.expires ?? null, grants })
  const seq = Math.max((prev?.seq ?? 0) + 1, now)
  await dht.mutablePut(kp as unknown as KeyPair, encode(endorsement, record), { seq })
  return { record, key: kp.publicKey, seq }
}

/** A lookup's endorsement check, one DHT walk per (publisher, host) however many entries share it. */
export function endorsementCheck(dht: DHT): EndorsementCheck {
  const memo = new Map<string, Promise<EndorsementWire | null>>()
  return async (peer: LookupPeer, signal: AbortSignal) => {
    if (!peer.publisher) return null
    const k = `${peer.publisher}/${peer.hostKey}`
    let p = memo.get(k)
    if (!p) memo.set(k, (p = fetchEndorsement(dht, Buffer.from(peer.publisher, 'hex'), Buffer.from(peer.hostKey, 'hex'), signal)))
    const e = await p
    if (!e || !grantCovers(e.grants, peer)) return null
    return {
      publisher: peer.publisher,
      issued: new Date(e.issued * 1000).toISOString(),
      expires: e.expires === null ? null : new Date(e.expires * 1000).toISOString()
    }
  }
}
