import type DHT from 'hyperdht'
import { formatId } from '../encoding/ids.ts'
import { lookupVerified } from './lookup.ts'
import { descriptorFor, vouchedEntries } from './vouch.ts'

/** How long the fallback lookup may take: a mesh retries a peer it could not check, with backoff. */
const FALLBACK_TIMEOUT_MS = 5_000

/**
 * True when the signed descriptor of `hostKey` vouches for `hash`: the check a mesh makes of a
 * peer that says which host it is. The record under the host key first; when the hash is not
 * on it and the host has descriptor pages (descriptor-page.ts), a lookup of the hash restricted
 * to this host, since only the topic walk names the page that lists it. Never throws for what a
 * remote sent.
 */
export async function vouchesFor(dht: DHT, hostKey: Buffer, hash: Buffer): Promise<boolean> {
  const d = await descriptorFor(dht, hostKey, hash)
  if (!d.ok) return false
  if (vouchedEntries(d.descriptor, hash).length > 0) return true
  if (!d.descriptor.pages) return false
  for await (const p of lookupVerified(dht, hash, { hosts: new Set([formatId(hostKey)]), limit: 1, timeoutMs: FALLBACK_TIMEOUT_MS }))
    if (p.verified) return true
  return false
}
