import type DHT from 'hyperdht'
import { DNS } from '../constants.ts'
import { formatId } from '../encoding/ids.ts'
import type { DescriptorResult, VouchedService } from './descriptor.ts'

type Verified = Extract<DescriptorResult, { ok: true }>
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
  const run = new LookupRun(dht, hash, opts)
  try {
    while (true) {
      const next = run.next()
      if (next === DONE) return
      if (next === WAIT) await run.more()
      else yield next
    }
  } finally {
    await run.close()
  }
}

/** Announcers not on the `hosts` list a restricted lookup checks at most (see onReply). */
const UNLISTED_CHECKS = 32

const DONE = Symbol('done')
const WAIT = Symbol('wait')

/**
 * One lookup's state. A class rather than closures in the generator: a lookup answered from
 * kept descriptors costs a few microseconds on top of the DHT walk, and a dozen closures made
 * per call were most of that (measured with bench row 4a's 10-node DHT, where a walk is ~0.3 ms).
 */
class LookupRun {
  private readonly limit: number
  private readonly now: () => number
  private readonly queue: LookupPeer[] = []
  private readonly stale: LookupPeer[] = []
  private readonly waiting: Buffer[] = []
  private readonly seen = new Set<string>()
  // made on first need: a lookup answered from kept descriptors starts no walk to stop
  private ac: AbortController | null = null
  private wake: (() => void) | null = null
  private done = false
  private active = 0
  private yielded = 0
  private queryDone = false
  private unlistedChecked = 0
  private readonly query: ReturnType<DHT['lookup']>
  private readonly timer: NodeJS.Timeout
  private readonly drained: Promise<void>
  private readonly onAbort = () => this.stop()

  constructor(
    private readonly dht: DHT,
    private readonly hash: Buffer,
    private readonly opts: LookupOptions
  ) {
    this.limit = opts.limit ?? Infinity
    this.now = opts.now ?? Date.now
    this.query = dht.lookup(hash)
    this.timer = setTimeout(this.onAbort, opts.timeoutMs ?? 10_000)
    opts.signal?.addEventListener('abort', this.onAbort)
    // drain the DHT query in the background; verification runs per host as it is found
    this.drained = this.drain()
    if (opts.signal?.aborted) this.stop() // an abort event that already fired never comes again
  }

  /** The next result to yield, DONE, or WAIT (then await more()). */
  next(): LookupPeer | typeof DONE | typeof WAIT {
    const { queue, stale } = this
    if (this.yielded >= this.limit) return DONE
    if (queue.length === 0 && stale.length > 0 && this.settled()) {
      // the fresh ones are all out: the stale ones, newest first
      stale.sort((a, b) => (a.ageSeconds ?? 0) - (b.ageSeconds ?? 0))
      queue.push(...stale.splice(0))
    }
    if (queue.length > 0) {
      this.yielded++
      return queue.shift()!
    }
    return this.done || this.settled() ? DONE : WAIT
  }

  /** Resolves when something changed: a result queued, a host checked, the walk ended. */
  more(): Promise<void> {
    return new Promise<void>((resolve) => (this.wake = resolve))
  }

  async close(): Promise<void> {
    clearTimeout(this.timer)
    this.opts.signal?.removeEventListener('abort', this.onAbort)
    this.stop()
    await this.drained
  }

  private settled(): boolean {
    return this.done || (this.queryDone && this.active === 0 && this.waiting.length === 0)
  }

  private notify(): void {
    const w = this.wake
    this.wake = null
    w?.()
  }

  private stop(): void {
    if (this.done) return
    this.done = true
    this.waiting.length = 0
    this.query.destroy()
    this.ac?.abort()
    this.notify()
  }

  private signal(): AbortSignal {
    return (this.ac ??= new AbortController()).signal
  }

  /**
   * Drain the DHT query in the background; verification runs per host as it is found. Stream
   * events rather than `for await`: the async iterator's promise per reply was a fifth of what
   * a lookup from kept descriptors added to the walk. Resolves when the query has closed.
   */
  private drain(): Promise<void> {
    return new Promise<void>((resolve) => {
      // a destroyed or failed query ends the search; what was found still stands
      this.query.on('error', () => {})
      this.query.on('data', (reply: { peers: Array<{ publicKey: Buffer }> }) => this.onReply(reply.peers))
      this.query.once('close', () => {
        this.queryDone = true
        this.notify()
        resolve()
      })
    })
  }

  private onReply(peers: Array<{ publicKey: Buffer }>): void {
    const { seen, opts } = this
    for (const peer of peers) {
      if (this.done) return
      // the announcer is a host key or one of a host's descriptor pages (descriptor-page.ts):
      // with `hosts`, which host it speaks for is known only from its record
      const k = formatId(peer.publicKey)
      if (seen.has(k)) continue
      seen.add(k)
      // with `hosts`, an unlisted announcer may be a listed host's page, so it is checked, but
      // only so many: a topic flooded with announcers must not cost a walk each
      if (opts.hosts && !opts.hosts.has(k) && ++this.unlistedChecked > UNLISTED_CHECKS) continue
      // a host verified lately (and no endorsement to ask for) is answered here, with no
      // promise or wake-up of its own
      const kept = opts.cached === false || opts.endorsements ? null : cachedVouch(this.dht, peer.publicKey, this.hash, this.now())
      if (kept) {
        this.accept(kept)
        this.notify()
      } else {
        // with `hosts`, a trusted host's own key is checked before announcers that may be its
        // descriptor pages or nobody's
        if (opts.hosts?.has(k)) this.waiting.unshift(peer.publicKey)
        else this.waiting.push(peer.publicKey)
        this.pump()
      }
    }
  }

  private pump(): void {
    while (!this.done && this.active < DNS.verifyConcurrency && this.waiting.length > 0) {
      const key = this.waiting.shift()!
      this.active++
      this.verify(key)
        .catch(() => {})
        .finally(() => {
          this.active--
          this.pump()
          this.notify()
        })
    }
  }

  private async verify(hostKey: Buffer): Promise<void> {
    const { opts, hash } = this
    const host = formatId(hostKey)
    // descriptorFor answers from the kept records itself (onReply already tried them when it could)
    const d = await descriptorFor(this.dht, hostKey, hash, { signal: this.signal(), now: this.now, cached: opts.cached })
    if (this.done) return
    if (!d.ok) {
      if (opts.all && (!opts.hosts || opts.hosts.has(host))) this.queue.push(unverified(host, d.why))
      return
    }
    const peers = this.accept(d)
    if (!opts.endorsements) return
    for (const peer of peers) {
      if (peer.kind === 'bridge') continue
      const endorsement = await opts.endorsements(peer, this.signal()).catch(() => null)
      if (this.done) return
      if (endorsement) {
        peer.endorsement = endorsement
        peer.level = 'publisher-endorsed'
        peer.how = `endorsed by publisher ${endorsement.publisher} (its signed record names this host), and the host vouches for it (seq ${d.seq})`
      }
    }
    for (const peer of peers) if (!opts.endorsedOnly || peer.level === 'publisher-endorsed') (peer.stale ? this.stale : this.queue).push(peer)
  }

  /**
   * The entries of a verified descriptor for this hash, as results. Without endorsements to
   * check they are queued here; with them, returned for verify() to check and queue.
   */
  private accept(d: Verified): LookupPeer[] {
    const host = formatId(d.descriptor.host)
    if (this.opts.hosts && !this.opts.hosts.has(host)) return []
    const entries = vouchedEntries(d.descriptor, this.hash)
    if (entries.length === 0 && this.opts.all) this.queue.push(unverified(host, "the host's signed descriptor does not list this hash"))
    const age = Math.max(0, Math.round(this.now() / 1000 - d.descriptor.updated))
    const stale = age > DNS.staleAfterSeconds
    if (stale && d.descriptor.page && entries.length > 0) {
      // a live host keeps every page it ever used fresh (unused ones empty): a stale page is a
      // gone host's or an abandoned page replayed, and its binding never expires, so it is not
      // taken as the host's word (a stale record under the host key still is, marked stale)
      if (this.opts.all) this.queue.push(unverified(host, `a stale descriptor page (${age} s old) is not taken as the host's word`))
      return []
    }
    const updated = new Date(d.descriptor.updated * 1000).toISOString()
    const page = d.descriptor.page
    const how = page
      ? `the host vouches for it: listed in page ${page.index} of its signed descriptor (page key bound by the host key, seq ${d.seq})`
      : `the host vouches for it: listed in its own signed descriptor (host key, seq ${d.seq})`
    const out: LookupPeer[] = []
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
        how,
        vouchedBy: 'host',
        level: 'host-vouched',
        updated,
        ageSeconds: age,
        stale
      }
      if (e.kind) peer.kind = e.kind
      if (this.opts.hosts) peer.trustedHost = true
      out.push(peer)
    }
    if (!this.opts.endorsements) for (const peer of out) (stale ? this.stale : this.queue).push(peer)
    return out
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
