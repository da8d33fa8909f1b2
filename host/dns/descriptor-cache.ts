import type DHT from 'hyperdht'
import { DNS } from '../constants.ts'
import { formatId } from '../encoding/ids.ts'
import type { DescriptorResult } from './descriptor.ts'

/**
 * Host descriptors this DHT node fetched and verified lately, so a lookup that finds a host it
 * met in the last DNS.descriptorCacheMs makes no second DHT walk for its descriptor. What is
 * kept is a record whose signature by the host key was checked when it came off the wire
 * (mutable-get.ts): a hit proves exactly what a fetch proves, that the host signed a descriptor
 * listing the hash. Only "is it still the newest?" ages, and that is bounded twice: by the TTL
 * here, and by the staleness rule (DNS.staleAfterSeconds since the host refreshed it), which
 * lookups apply to cached and fetched records alike. A record that does not vouch for the hash
 * asked about is never the answer alone: the lookup then asks the DHT for a newer one.
 *
 * One cache per DHT node (a WeakMap, so it goes with the node), at most
 * DNS.descriptorCacheHosts hosts, least recently stored dropped first.
 */

type Verified = Extract<DescriptorResult, { ok: true }>

interface Kept {
  d: Verified
  /** When it was fetched (ms, the caller's clock). */
  at: number
}

export class DescriptorCache {
  private readonly hosts = new Map<string, Kept>()

  constructor(
    private readonly ttlMs: number = DNS.descriptorCacheMs,
    private readonly max: number = DNS.descriptorCacheHosts
  ) {}

  /** The record of `hostKey` fetched within the TTL, or null. */
  get(hostKey: Buffer, now: number): Verified | null {
    const k = formatId(hostKey)
    const kept = this.hosts.get(k)
    if (!kept) return null
    if (now - kept.at > this.ttlMs || now < kept.at) {
      this.hosts.delete(k)
      return null
    }
    return kept.d
  }

  /** Keep a record just fetched and verified, unless a newer one (higher seq) is kept already. */
  put(hostKey: Buffer, d: Verified, now: number): void {
    const k = formatId(hostKey)
    const kept = this.hosts.get(k)
    if (kept && kept.d.seq > d.seq && now - kept.at <= this.ttlMs) return
    this.hosts.delete(k)
    this.hosts.set(k, { d, at: now })
    if (this.hosts.size > this.max) this.hosts.delete(this.hosts.keys().next().value!)
  }

  /** Drop everything (tests, and a caller that wants every descriptor fetched again). */
  clear(): void {
    this.hosts.clear()
  }

  get size(): number {
    return this.hosts.size
  }
}

const caches = new WeakMap<DHT, DescriptorCache>()

/** The descriptor cache of a DHT node, made on first use. */
export function descriptorCacheOf(dht: DHT): DescriptorCache {
  let c = caches.get(dht)
  if (!c) caches.set(dht, (c = new DescriptorCache()))
  return c
}
