import { createHash } from 'node:crypto'
import DHT from 'hyperdht'
import type { KeyPair } from 'hyperdht'
import sodium from 'sodium-native'
import { NAMESPACE } from '../constants.ts'
import type { DescriptorPageWire, HostDescriptorWire } from '../messages.ts'

/**
 * Descriptor pages. One DHT record holds 1000 bytes, about 8 one-service apps, so a host with
 * more writes its descriptor as the record under its host key (page 0) plus pages 1..n, each a
 * mutable record under a key pair of its own derived from the host's secret:
 *   seed = SHA-256(NAMESPACE.DESCRIPTOR_PAGE_KEY || host secret key || uint32le(index))
 * Each page names its host and carries the host's signature over
 *   NAMESPACE.DESCRIPTOR_PAGE || page public key || uint32le(index)
 * and the host announces the topics of a page's apps with that page's key pair. A lookup's
 * topic walk then names the page key as the announcer, and its one descriptor walk fetches the
 * page itself: one walk, as for a host with few apps, and one more signature check (~50 µs).
 * The record's own signature proves the page key wrote it; the host's proves the page key is
 * the host's. A copied binding is useless without the page's secret key.
 */

function indexBytes(index: number): Buffer {
  const b = Buffer.alloc(4)
  b.writeUInt32LE(index)
  return b
}

/** The key pair of page `index` (1 and up) of a host's descriptor; stable across restarts. */
export function pageKeyPair(hostSecretKey: Uint8Array, index: number): KeyPair {
  return DHT.keyPair(createHash('sha256').update(NAMESPACE.DESCRIPTOR_PAGE_KEY).update(hostSecretKey).update(indexBytes(index)).digest())
}

function bindingMessage(pageKey: Uint8Array, index: number): Buffer {
  return Buffer.concat([NAMESPACE.DESCRIPTOR_PAGE, pageKey, indexBytes(index)])
}

/** The binding a page carries: the host's signature over the page key and index. */
export function signPage(host: KeyPair, pageKey: Uint8Array, index: number): DescriptorPageWire {
  const signature = Buffer.alloc(64)
  sodium.crypto_sign_detached(signature, bindingMessage(pageKey, index), host.secretKey)
  return { index, key: pageKey, signature }
}

/**
 * Why a decoded descriptor read from under `recordKey` is not that key's to vouch for, or null
 * when it is: the host's own record (no page binding), or a page whose binding names this very
 * key and verifies against the host key the descriptor names.
 */
export function signerProblem(d: HostDescriptorWire, recordKey: Uint8Array): string | null {
  if (!d.page) return Buffer.from(d.host).equals(recordKey) ? null : 'descriptor names another host'
  const p = d.page
  if (!Buffer.from(p.key).equals(recordKey)) return 'descriptor page names another key'
  if (p.index < 1 || p.index > 0xffffffff) return 'descriptor page index out of range'
  if (d.pages) return 'a descriptor page cannot list pages'
  const ok = sodium.crypto_sign_verify_detached(Buffer.from(p.signature), bindingMessage(p.key, p.index), Buffer.from(d.host))
  return ok ? null : 'descriptor page is not signed by the host it names'
}
