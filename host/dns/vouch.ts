import type DHT from 'hyperdht'
import { DNS } from '../constants.ts'
import type { HostDescriptorWire } from '../messages.ts'
import { descriptorCacheOf } from './descriptor-cache.ts'
import { entriesFor, fetchDescriptor } from './descriptor.ts'
import type { DescriptorResult, VouchedService } from './descriptor.ts'

/**
 * Whether a host vouches for a hash: its signed descriptor lists it. Every record the host
 * signed is its word, so one that lists the hash and is not stale will do: first one this node
 * verified in the last DNS.descriptorCacheMs (descriptor-cache.ts: no DHT walk at all), else
 * the first validly signed record a narrow walk finds; a newer one (seq above it) only when that
 * one does not list the hash or is stale.
 */

type Verified = Extract<DescriptorResult, { ok: true }>

// entriesFor recomputes a hash per service: a lookup repeated against a kept record need not
const memo = new WeakMap<HostDescriptorWire, Map<string, VouchedService[]>>()
const MEMO_HASHES = 64

/** The entries of `d` that vouch for `hash` (descriptor.ts entriesFor), memoized per decoded descriptor; treat as read-only. */
export function vouchedEntries(d: HostDescriptorWire, hash: Buffer): VouchedService[] {
  let m = memo.get(d)
  if (!m) memo.set(d, (m = new Map()))
  const k = hash.toString('hex')
  let out = m.get(k)
  if (!out) {
    if (m.size >= MEMO_HASHES) m.clear()
    m.set(k, (out = entriesFor(d, hash)))
  }
  return out
}

function vouches(d: DescriptorResult, hash: Buffer, nowMs: number): boolean {
  return d.ok && vouchedEntries(d.descriptor, hash).length > 0 && nowMs / 1000 - d.descriptor.updated <= DNS.staleAfterSeconds
}

/** A record of `hostKey` this node verified lately that vouches for `hash` and is not stale; null when it has none (then ask descriptorFor). */
export function cachedVouch(dht: DHT, hostKey: Buffer, hash: Buffer, nowMs: number): Verified | null {
  const d = descriptorCacheOf(dht).get(hostKey, nowMs)
  return d && vouches(d, hash, nowMs) ? d : null
}

/**
 * The signed descriptor of `hostKey` to check `hash` against (see above). `cached: false` skips
 * the records kept (and still keeps what it fetched). Never throws for what a remote sent.
 */
export async function descriptorFor(
  dht: DHT,
  hostKey: Buffer,
  hash: Buffer,
  opts: { signal?: AbortSignal; now?: () => number; cached?: boolean } = {}
): Promise<DescriptorResult> {
  const now = opts.now ?? Date.now
  const cache = descriptorCacheOf(dht)
  let d: DescriptorResult | null = opts.cached === false ? null : cache.get(hostKey, now())
  if (d && vouches(d, hash, now())) return d
  let fetched = false
  if (!d) {
    d = await fetchDescriptor(dht, hostKey, { latest: false, signal: opts.signal, concurrency: DNS.descriptorWalkConcurrency })
    fetched = d.ok
  }
  if (d.ok && !vouches(d, hash, now())) {
    const newer = await fetchDescriptor(dht, hostKey, { seq: d.seq + 1, signal: opts.signal })
    if (newer.ok) {
      d = newer
      fetched = true
    }
  }
  if (d.ok && fetched) cache.put(hostKey, d, now())
  return d
}
