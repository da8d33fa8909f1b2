import sodium from 'sodium-native'
import { NAMESPACE } from '../constants.ts'
import { HypernetError } from '../errors.ts'
import { parseHash, parseKey } from '../encoding/ids.ts'
import { encode, manifestBody } from '../messages.ts'
import type { ManifestBodyWire, QuotasWire } from '../messages.ts'
import type { Manifest, ManifestBody } from './types.ts'

/**
 * Manifest signatures. A publisher signs
 *   BLAKE2b-256(NAMESPACE.MANIFEST || compact-encode(manifestBody))
 * with ed25519, where NAMESPACE.MANIFEST = SHA-256("hypernet/manifest/v1") and manifestBody is
 * the struct in host/messages.ts. The namespace keeps a manifest signature from being valid for
 * any other purpose; the compact encoding keeps it independent of JSON whitespace and key order.
 * Keys and hashes are signed as bytes, so hex and z32 spellings of a manifest verify alike.
 */

export interface KeyPair {
  publicKey: Buffer
  secretKey: Buffer
}

/** The manifest body in signing form. Throws BAD_KEY/BAD_HASH on malformed ids. */
export function toWire(m: ManifestBody): ManifestBodyWire {
  const p = m.permissions
  return {
    schema: m.schema,
    name: m.app.name,
    version: m.app.version,
    description: m.app.description ?? null,
    codeHash: parseHash(m.code.hash, 'code.hash'),
    abi: m.code.abi,
    publisher: parseKey(m.publisher, 'publisher'),
    services: m.services.map((s) => ({ name: s.name, port: s.port, protocol: s.protocol, description: s.description ?? null })),
    dial: p.dial ?? [],
    storageQuota: p.storage ? p.storage.quotaBytes : null,
    timers: p.timers === true,
    memoryMiB: m.limits.memoryMiB ?? null,
    callTimeoutMs: m.limits.callTimeoutMs ?? null,
    expires: m.expires ?? null,
    ...(m.redistribute === false ? { noRedistribute: true } : {}),
    ...(m.supersedes?.length ? { supersedes: m.supersedes.map((h, i) => parseHash(h, `supersedes/${i}`)) } : {}),
    ...quotasOf(m),
    ...(p.mesh?.length ? { mesh: p.mesh } : {})
  }
}

/** The quotas a manifest asks for, as signed (flag bit 256): absent when it asks for none. */
function quotasOf(m: ManifestBody): { quotas?: QuotasWire } {
  const { dialsInFlight, dialsPerSecond, connections, bytesInPerSecond, bytesOutPerSecond, idleTimeoutMs } = m.limits
  const q: QuotasWire = { dialsInFlight, dialsPerSecond, connections, bytesInPerSecond, bytesOutPerSecond, idleTimeoutMs }
  for (const k of Object.keys(q) as Array<keyof QuotasWire>) if (q[k] === undefined) delete q[k]
  return Object.keys(q).length ? { quotas: q } : {}
}

/** The 32 bytes an ed25519 manifest signature covers. */
export function signedDigest(m: ManifestBody): Buffer {
  const body = encode(manifestBody, toWire(m))
  const out = Buffer.alloc(32)
  sodium.crypto_generichash(out, Buffer.concat([NAMESPACE.MANIFEST, body]))
  return out
}

/** Sign a manifest body; `publisher` must be the key pair's public key. */
export function signManifest(body: ManifestBody, keyPair: KeyPair): Manifest {
  if (!parseKey(body.publisher, 'publisher').equals(keyPair.publicKey)) {
    throw HypernetError.USAGE('the manifest publisher is not the signing key')
  }
  const sig = Buffer.alloc(sodium.crypto_sign_BYTES)
  sodium.crypto_sign_detached(sig, signedDigest(body), keyPair.secretKey)
  const { signature: _drop, ...rest } = body as Manifest
  return { ...rest, signature: sig.toString('hex') }
}

/**
 * Verify a manifest's signature against its own publisher key.
 * @throws SIGNATURE_INVALID when it does not verify
 */
export function verifyManifestSignature(m: Manifest): void {
  const sig = Buffer.from(m.signature, 'hex')
  if (sig.length !== sodium.crypto_sign_BYTES) throw HypernetError.SIGNATURE_INVALID('the signature is not 64 bytes')
  const { signature: _sig, ...body } = m
  const ok = sodium.crypto_sign_verify_detached(sig, signedDigest(body), parseKey(m.publisher, 'publisher'))
  if (!ok)
    throw HypernetError.SIGNATURE_INVALID(
      `the manifest signature does not verify against its publisher ${parseKey(m.publisher).toString('hex')}: the manifest was changed after signing or signed by another key`
    )
}

/** A fresh ed25519 key pair. */
export function generateKeyPair(): KeyPair {
  const publicKey = Buffer.alloc(sodium.crypto_sign_PUBLICKEYBYTES)
  const secretKey = Buffer.alloc(sodium.crypto_sign_SECRETKEYBYTES)
  sodium.crypto_sign_keypair(publicKey, secretKey)
  return { publicKey, secretKey }
}
