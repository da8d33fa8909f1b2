import type DHT from 'hyperdht'
import { DNS } from '../constants.ts'
import { formatId } from '../encoding/ids.ts'
import type { DescriptorResult, VouchedService } from './descriptor.ts'
import { cachedVouch, descriptorFor, vouchedEntries } from './vouch.ts'

/**
 * "Which peers vend this hash": a HyperDHT lookup of the hash as a topic, then, for each host
 * that announced it (deduplicated by key: one announcer is returned by many DHT nodes), that
 * host's signed descriptor: one this node verified in the last minute, else fetched as the host
 * streams out of the topic walk (vouch.ts). Anyone can announce any topic, so an announcement alone proves
 * nothing; a descriptor listing the hash proves only that *the host* says it runs it (signed
 * with the host key). The host could lie: see the README's threat model, and the publisher
 * endorsements (endorsement.ts) a caller may require on top.
 *
 * Entries whose descriptor was last refreshed more than DNS.staleAfterSeconds ago (a host
 * killed without a goodbye stays announced until its announcement expires) are held back and
 * yielded after every fresh one, newest first.
 */

/** What a result proves: the host vouches (its own signed descriptor), or its app's publisher also endorses it. */
export type LookupLevel = 'unverified' | 'host-vouched' | 'publisher-endorsed'

export interface LookupPeer extends VouchedService {
  hostKey: string
  /**
   * Kept for older readers: true when the host's own signed descriptor lists the hash, that is
   * the host vouches for itself (see `level`), never that anyone checked what it runs.
   */
  verified: boolean
  /** How it was vouched for, or why not. */
  how: string
  /** Who signed the claim: the host itself (`'host'`), or null when nobody did. */
  vouchedBy: 'host' | null
  level: LookupLevel
  /** The descriptor's own `updated` time (ISO 8601), null when there is none. */
  updated: string | null
  /** Seconds since the host last refreshed its descriptor, null when unknown. */
  ageSeconds: number | null
  /** Refreshed longer ago than DNS.staleAfterSeconds: the host may be gone. */
  stale: boolean
  /** On this home's trusted hosts list (set when the lookup was restricted to it). */
  trustedHost?: boolean
  /** The publisher's endorsement of this host for this app, when one was checked and found. */
  endorsement?: { publisher: string; issued: string; expires: string | null }
}

/** Decides whether a host-vouched entry is also endorsed by its publisher (endorsement.ts). */
export type EndorsementCheck = (peer: LookupPeer, signal: AbortSignal) => Promise<LookupPeer['endorsement'] | null>

export interface LookupOptions {
  /** Also yield hosts that announced the hash without vouching for it (verified: false). */
  all?: boolean
  /** Stop after this many results. */
  limit?: number
  /** Stop after this long, in ms (default 10 s). */
  timeoutMs?: number
  signal?: AbortSignal
  /** Check each vouched entry for a publisher endorsement; with `endorsedOnly`, drop the rest. */
  endorsements?: EndorsementCheck
  endorsedOnly?: boolean
  /** Only these host keys (hex): the trusted hosts (`--trusted-hosts`); results say `trustedHost`. */
  hosts?: ReadonlySet<string>
  /** Clock for ages, in ms (tests). */
  now?: () => number
  /** false: fetch every descriptor from the DHT, even one this node verified a moment ago. */
  cached?: boolean
}

/**
 * Stream vouched-for peers for `hash` (a service hash or a code hash) as they are found. Every
 * DHT walk it starts (the topic lookup, each descriptor and endorsement fetch) is destroyed
 * when the generator ends, however it ends; at most DNS.verifyConcurrency hosts are checked at
 * once.
 */
export async function* lookupVerified(dht: DHT, hash: Buffer, opts: LookupOptions = {}): AsyncGenerator<LookupPeer> {
  const limit = opts.limit ?? Infinity
  const now = opts.now ?? Date.now
  const queue: LookupPeer[] = []
  const stale: LookupPeer[] = []
  const waiting: Buffer[] = []
  // made on first need: a lookup answered from kept descriptors starts no walk to stop
  let ac: AbortController | null = null
  const signal = () => (ac ??= new AbortController()).signal
  let wake: (() => void) | null = null
  let done = false
  let active = 0
  let yielded = 0
  let queryDone = false
  const seen = new Set<string>()
  const notify = () => {
    const w = wake
    wake = null
    w?.()
  }

  const query = dht.lookup(hash)
  const timer = setTimeout(() => stop(), opts.timeoutMs ?? 10_000)
  const onAbort = () => stop()
  opts.signal?.addEventListener('abort', onAbort)
  function stop() {
    if (done) return
    done = true
    waiting.length = 0
    query.destroy()
    ac?.abort()
    notify()
  }

  const describe = (hostKey: Buffer): Promise<DescriptorResult> => descriptorFor(dht, hostKey, hash, { signal: signal(), now, cached: opts.cached })
  const ageOf = (updated: number) => Math.max(0, Math.round(now() / 1000 - updated))

  const verify = async (hostKey: Buffer) => {
    const host = formatId(hostKey)
    const d = (opts.cached === false ? null : cachedVouch(dht, hostKey, hash, now())) ?? (await describe(hostKey))
    if (done) return
    if (!d.ok) {
      if (opts.all) queue.push(unverified(host, d.why))
      return
    }
    const entries = vouchedEntries(d.descriptor, hash)
    if (entries.length === 0 && opts.all) queue.push(unverified(host, "the host's signed descriptor does not list this hash"))
    const age = ageOf(d.descriptor.updated)
    for (const e of entries) {
      // field by field, not `{ ...e, ... }`: V8 builds that shape on a slow path (~10 µs a
      // result here, most of what a lookup from kept descriptors adds to the DHT walk)
      const peer: LookupPeer = {
        codeHash: e.codeHash,
        serviceHash: e.serviceHash,
        app: e.app,
        version: e.version,
        publisher: e.publisher,
        service: e.service,
        port: e.port,
        serviceKey: e.serviceKey,
        hostKey: host,
        verified: true,
        how: `the host vouches for it: listed in its own signed descriptor (host key, seq ${d.seq})`,
        vouchedBy: 'host',
        level: 'host-vouched',
        updated: new Date(d.descriptor.updated * 1000).toISOString(),
        ageSeconds: age,
        stale: age > DNS.staleAfterSeconds
      }
      if (e.kind) peer.kind = e.kind
      if (opts.hosts) peer.trustedHost = true
      if (opts.endorsements && e.kind !== 'bridge') {
        const endorsement = await opts.endorsements(peer, signal()).catch(() => null)
        if (done) return
        if (endorsement) {
          peer.endorsement = endorsement
          peer.level = 'publisher-endorsed'
          peer.how = `endorsed by publisher ${endorsement.publisher} (its signed record names this host), and the host vouches for it (seq ${d.seq})`
        }
      }
      if (opts.endorsedOnly && peer.level !== 'publisher-endorsed') continue
      ;(peer.stale ? stale : queue).push(peer)
    }
  }

  const pump = () => {
    while (!done && active < DNS.verifyConcurrency && waiting.length > 0) {
      const key = waiting.shift()!
      active++
      verify(key)
        .catch(() => {})
        .finally(() => {
          active--
          pump()
          notify()
        })
    }
  }

  // drain the DHT query in the background; verification runs per host as it is found
  const drained = (async () => {
    try {
      for await (const reply of query) {
        for (const peer of reply.peers) {
          const k = formatId(peer.publicKey)
          if (seen.has(k) || (opts.hosts && !opts.hosts.has(k))) continue
          seen.add(k)
          waiting.push(peer.publicKey)
          pump()
        }
      }
    } catch {
      // a destroyed or failed query ends the search; what was found still stands
    } finally {
      queryDone = true
      notify()
    }
  })()

  try {
    while (true) {
      const settled = done || (queryDone && active === 0 && waiting.length === 0)
      if (settled && queue.length === 0 && stale.length > 0) {
        // the fresh ones are all out: the stale ones, newest first
        stale.sort((a, b) => (a.ageSeconds ?? 0) - (b.ageSeconds ?? 0))
        queue.push(...stale.splice(0))
      }
      while (queue.length > 0 && yielded < limit) {
        yielded++
        yield queue.shift()!
      }
      if (yielded >= limit || done || (queryDone && active === 0 && waiting.length === 0 && queue.length === 0 && stale.length === 0)) break
      await new Promise<void>((resolve) => (wake = resolve))
    }
  } finally {
    clearTimeout(timer)
    opts.signal?.removeEventListener('abort', onAbort)
    stop()
    await drained
  }
}

function unverified(hostKey: string, why: string): LookupPeer {
  return {
    hostKey,
    verified: false,
    how: why,
    vouchedBy: null,
    level: 'unverified',
    updated: null,
    ageSeconds: null,
    stale: false,
    codeHash: '',
    serviceHash: null,
    app: '',
    version: '',
    publisher: '',
    service: null,
    port: null,
    serviceKey: null
  }
}
