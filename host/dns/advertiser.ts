import type DHT from 'hyperdht'
import type { KeyPair } from 'hyperdht'
import { formatId } from '../encoding/ids.ts'
import { releaseTopic, serviceHash } from '../manifest/index.ts'
import { encode, hostDescriptor } from '../messages.ts'
import type { DescriptorAppWire, DescriptorBridgeWire, DescriptorPageWire, HostDescriptorWire } from '../messages.ts'
import { bridgeServiceHash } from '../manifest/index.ts'
import type { Logger } from '../log/index.ts'
import { DNS } from '../constants.ts'
import { encodeDescriptor, fetchDescriptor, publishDescriptor } from './descriptor.ts'
import { appSlot, layoutDescriptor } from './descriptor-layout.ts'
import { pageKeyPair, signPage } from './descriptor-page.ts'
import { Lifecycle } from '../util/lifecycle.ts'
import { inPool } from '../util/pool.ts'
import { backgroundCatch } from '../util/safety-catch.ts'

/**
 * Keeps this host findable: announces each running service under its service hash, each app
 * under its code hash and under its release topic (publisher, name: how other hosts find newer
 * versions), so a lookup learns which record to ask; and publishes the host descriptor that
 * vouches for them. The descriptor is the record under the host key and, when the apps do not
 * fit its 1000 bytes, pages under keys of their own (descriptor-page.ts); each app's topics are
 * announced with the key of the record that lists it, so a lookup fetches that record directly. HyperDHT drops announcements after about
 * 20 minutes and records after about 48 hours, so both are refreshed every `refreshMs`
 * (default 10 minutes). Withdrawn apps are unannounced at once.
 */

/**
 * Unannounce walks run this many at a time when the advertiser closes: a host with 1,000 apps
 * has 3,000 topics, and thousands of walks at once crowd the node's request window
 * (unannouncing 600 topics all at once took 55.6 s, 8 at a time 1.0 s).
 */
const WALKS_AT_ONCE = 8

/** How long the start-up walk for this host's own earlier record may take (recall()). */
const RECALL_MS = 5_000

export interface AdvertisedTopic {
  topic: string
  kind: 'service' | 'app' | 'release' | 'bridge'
  app: string
  service: string | null
  /** The descriptor record that lists it, and whose key announces it: 0 the host's, else a page. */
  page: number
  lastRefresh: string | null
}

export interface AdvertiserInit {
  refreshMs?: number
}

export class Advertiser {
  private apps: DescriptorAppWire[] = []
  private bridges: DescriptorBridgeWire[] = []
  private topics = new Map<string, AdvertisedTopic>()
  /** Apps per record: [0] the host record's, [i] page i's (see descriptor-layout.ts). */
  private pages: DescriptorAppWire[][] = [[]]
  /** The page each app is on, so a change of apps moves only the apps it must. */
  private slots = new Map<string, number>()
  /** Sequence number last published per record, and what it listed (see content()). */
  private seqs: number[] = []
  private contents: string[] = []
  /**
   * Records this host may have published, in this process or before it (recall()): pages past
   * the ones in use are kept published empty, so an abandoned page never comes back with what
   * it used to list once its empty copy expired.
   */
  private highWater = 1
  private recalled: Promise<void> | null = null
  private readonly stopRecall = new AbortController()
  private readonly pageKeys = new Map<number, { keyPair: KeyPair; binding: DescriptorPageWire }>()
  private timer: NodeJS.Timeout | null = null
  /**
   * Set when a change could not reach the DHT because the node knew no other node (offline):
   * every walk would fail after its timeouts (~12 s each, and a host's start waited on them).
   * The first node that answers brings a refresh().
   */
  private waitingForNodes = false
  private readonly onAddNode = (): void => {
    if (!this.waitingForNodes || this.closed) return
    this.waitingForNodes = false
    this.log.info('a DHT node answered: publishing the host descriptor and announcing', { topics: this.topics.size })
    void this.refresh().catch(backgroundCatch(this.log, 'advertiser refresh'))
  }
  private chain: Promise<void> = Promise.resolve()
  private readonly life = new Lifecycle()
  private get closed(): boolean {
    return this.life.closed
  }
  lastDescriptor: string | null = null
  /**
   * Apps left out of the descriptor because even DNS.maxDescriptorPages pages do not hold them:
   * they run and answer on their service keys, but a verified lookup cannot find them, so their
   * topics are not announced either. Empty when everything fits.
   */
  unlisted: string[] = []

  constructor(
    private readonly dht: DHT,
    private readonly keyPair: KeyPair,
    private readonly log: Logger,
    private readonly init: AdvertiserInit = {}
  ) {}

  ready(): Promise<void> {
    return this.life.ready(() => {
      this.timer = setInterval(() => void this.refresh(), this.init.refreshMs ?? 10 * 60_000)
      this.timer.unref()
      this.dht.on('add-node', this.onAddNode)
    })
  }

  /** Replace the advertised apps; resolves when the DHT has it. */
  setApps(apps: DescriptorAppWire[]): Promise<void> {
    return this.serial(() => {
      this.apps = apps
      return this.apply()
    })
  }

  /** Replace the advertised bridges (exposed TCP services); resolves when the DHT has it. */
  setBridges(bridges: DescriptorBridgeWire[]): Promise<void> {
    return this.serial(() => {
      this.bridges = bridges
      return this.apply()
    })
  }

  private async apply(): Promise<void> {
    const before = new Map(this.topics)
    const next = new Map<string, AdvertisedTopic>()
    // keyed by topic and record: two apps of one code hash on two pages announce it under both
    const entry = (topic: string, kind: AdvertisedTopic['kind'], app: string, service: string | null, page: number): void => {
      const k = `${topic}/${page}`
      next.set(k, before.get(k) ?? { topic, kind, app, service, page, lastRefresh: null })
    }
    for (const b of this.bridges) entry(formatId(bridgeServiceHash(this.keyPair.publicKey, b.name)), 'bridge', 'bridge', b.name, 0)
    const published = this.pages.length
    this.layout()
    this.pages.forEach((apps, page) => {
      for (const a of apps) {
        const code = Buffer.from(a.codeHash)
        entry(formatId(code), 'app', a.name, null, page)
        entry(formatId(releaseTopic(a.publisher, a.name)), 'release', a.name, null, page)
        for (const s of a.services) entry(formatId(serviceHash(code, s.name)), 'service', a.name, s.name, page)
      }
    })
    this.topics = next
    this.highWater = Math.max(this.highWater, published, this.pages.length)
    if (this.holdWhileAlone()) return
    await this.recallOnce()
    // the descriptor first: a lookup that finds an announcement must find it vouched for. Only
    // records whose content changed (refresh() re-publishes all)
    await inPool(
      this.keptRecords().filter((i) => this.contents[i] !== this.content(i)),
      WALKS_AT_ONCE,
      (i) => this.publish(i)
    )
    // an app that moved to another record is announced under the new record's key and
    // withdrawn under the old one's
    await inPool(
      [...next].filter(([k]) => !before.has(k)),
      WALKS_AT_ONCE,
      ([, info]) => this.announce(info)
    )
    await inPool(
      [...before].filter(([k]) => !next.has(k)),
      WALKS_AT_ONCE,
      ([, info]) => this.withdraw(info)
    )
  }

  /**
   * Check that these bridges fit the record under the host key (apps move to pages; bridges
   * cannot).
   * @throws USAGE when they would not
   */
  checkFits(bridges: DescriptorBridgeWire[]): void {
    encodeDescriptor({ host: this.keyPair.publicKey, updated: 0xffffffff, apps: [], bridges, pages: DNS.maxDescriptorPages })
  }

  /** Re-announce every topic and re-publish the descriptor. */
  refresh(): Promise<void> {
    return this.serial(async () => {
      if (this.holdWhileAlone()) return
      await this.recallOnce()
      await inPool(this.keptRecords(), WALKS_AT_ONCE, (i) => this.publish(i))
      // WALKS_AT_ONCE at a time, not one after another: on the public DHT a walk takes a second
      // or two, and a host with 1,000 apps has 3,000 topics to re-announce before they expire
      await inPool([...this.topics.values()], WALKS_AT_ONCE, (info) => this.announce(info))
    })
  }

  /** Records the descriptor spans: 1, or 1 + its pages. */
  get records(): number {
    return this.pages.length
  }

  /** Every record to keep published: those in use, and abandoned pages (empty) up to the high-water mark. */
  private keptRecords(): number[] {
    return Array.from({ length: Math.max(this.highWater, this.pages.length) }, (_, i) => i)
  }

  /**
   * True (and the wait noted) when the node has bootstrapped and knows no other DHT node: then
   * nothing is sent, as it would only fail after its timeouts, and the first node that answers
   * brings a refresh (onAddNode).
   */
  private holdWhileAlone(): boolean {
    // before its bootstrap ends a node is not offline (its walks wait for the bootstrap)
    if (!this.dht.bootstrapped || this.dht.toArray().length > 0) return false
    if (!this.waitingForNodes) this.log.info('no DHT node known: the host descriptor is published when one answers', { topics: this.topics.size })
    this.waitingForNodes = true
    return true
  }

  /** Before the first publish: once ours is out, a walk may return it instead of the last run's. */
  private recallOnce(): Promise<void> {
    return (this.recalled ??= this.recall().catch(backgroundCatch(this.log, 'advertiser recall')))
  }

  /**
   * Learn from the DHT how many pages this host's descriptor had before this process, and the
   * sequence number it reached, so pages a previous run used are kept empty and no record is
   * published below one it replaces. Once, before the first publish; at most RECALL_MS.
   */
  private async recall(): Promise<void> {
    const timer = setTimeout(() => this.stopRecall.abort(), RECALL_MS)
    const d = await fetchDescriptor(this.dht, this.keyPair.publicKey, { signal: this.stopRecall.signal })
    clearTimeout(timer)
    if (!d.ok) return
    // a record of a previous run with a higher seq than ours would win over ours in the DHT
    this.seqs[0] = Math.max(this.seqs[0] ?? 0, d.seq)
    this.highWater = Math.max(this.highWater, 1 + Math.min(d.descriptor.pages ?? 0, DNS.maxDescriptorPages))
  }

  /** What is advertised, for status. */
  status(): AdvertisedTopic[] {
    return [...this.topics.values()]
  }

  /** Unannounce everything (the descriptor is left to expire: there is no delete). */
  close(): Promise<void> {
    return this.life.close(async () => {
      if (this.timer) clearInterval(this.timer)
      this.dht.off('add-node', this.onAddNode)
      this.stopRecall.abort()
      await this.recalled
      await this.chain
      // offline, every unannounce would wait out its timeouts (a stop would hang for minutes)
      const topics = this.waitingForNodes ? [] : [...this.topics.values()]
      this.topics.clear()
      // a destroyed node throws synchronously, and close() must not
      await inPool(topics, WALKS_AT_ONCE, (info) =>
        Promise.resolve()
          .then(() => this.dht.unannounce(Buffer.from(info.topic, 'hex'), this.signer(info.page).keyPair))
          .catch(() => {})
      )
    })
  }

  /**
   * Lay the apps out over the records (descriptor-layout.ts). Before pages, one app too many
   * left the host with no descriptor at all, and then with only the first ~8 apps findable.
   */
  private layout(): void {
    let { pages, unlisted } = layoutDescriptor(this.apps, this.bridges, this.slots)
    // keeping apps where they were can leave records mostly empty after many removals: when a
    // fresh layout needs half the records or fewer, take it (the apps that move are
    // re-announced under their new records' keys)
    const fresh = this.slots.size > 0 && pages.length > 1 ? layoutDescriptor(this.apps, this.bridges) : null
    if (fresh && fresh.pages.length * 2 <= pages.length) ({ pages, unlisted } = fresh)
    this.pages = pages
    this.slots = new Map(pages.flatMap((apps, i) => apps.map((a) => [appSlot(a), i] as [string, number])))
    const names = unlisted.map((a) => a.name)
    if (names.join() !== this.unlisted.join() && names.length > 0) {
      this.log.warn('the host descriptor is full: these apps run but a verified lookup cannot find them (connect by service key works)', {
        pages: pages.length,
        unlisted: names.length,
        first: names.slice(0, 8)
      })
    }
    this.unlisted = names
  }

  /** The key pair that signs record `page` and announces its apps' topics, and a page's binding. */
  private signer(page: number): { keyPair: KeyPair; binding?: DescriptorPageWire } {
    if (page === 0) return { keyPair: this.keyPair }
    let s = this.pageKeys.get(page)
    if (!s) {
      const keyPair = pageKeyPair(this.keyPair.secretKey, page)
      this.pageKeys.set(page, (s = { keyPair, binding: signPage(this.keyPair, keyPair.publicKey, page) }))
    }
    return s
  }

  /** Record `page` as it would be published, but for its time. */
  private record(page: number): Omit<HostDescriptorWire, 'updated'> {
    const apps = this.pages[page] ?? []
    const host = this.keyPair.publicKey
    if (page > 0) return { host, apps, page: this.signer(page).binding }
    const extra = this.pages.length - 1
    return { host, apps, bridges: this.bridges, ...(extra > 0 ? { pages: extra } : {}) }
  }

  /** What record `page` says, to tell whether it needs publishing again. */
  private content(page: number): string {
    return contentOf(this.record(page))
  }

  private async publish(page: number): Promise<void> {
    const record = this.record(page)
    try {
      this.seqs[page] = await publishDescriptor(this.dht, this.signer(page).keyPair, record, this.seqs[page] ?? 0)
      this.contents[page] = contentOf(record)
      if (page === 0) this.lastDescriptor = new Date().toISOString()
      this.log.debug('descriptor published', { page, seq: this.seqs[page], apps: record.apps.length })
    } catch (err) {
      this.log.warn('descriptor publish failed', { page, error: (err as Error).message })
    }
  }

  private async announce(info: AdvertisedTopic): Promise<void> {
    try {
      await this.dht.announce(Buffer.from(info.topic, 'hex'), this.signer(info.page).keyPair).finished()
      info.lastRefresh = new Date().toISOString()
      this.log.debug('announced', { topic: info.topic, kind: info.kind, app: info.app, service: info.service })
    } catch (err) {
      this.log.warn('announce failed', { topic: info.topic, error: (err as Error).message })
    }
  }

  private async withdraw(info: AdvertisedTopic): Promise<void> {
    try {
      await this.dht.unannounce(Buffer.from(info.topic, 'hex'), this.signer(info.page).keyPair)
      this.log.debug('withdrawn', { topic: info.topic, page: info.page })
    } catch (err) {
      this.log.warn('unannounce failed', { topic: info.topic, error: (err as Error).message })
    }
  }

  private serial(fn: () => Promise<void>): Promise<void> {
    const next = this.chain.then(() => (this.closed ? undefined : fn()))
    this.chain = next.catch(backgroundCatch(this.log, 'advertiser'))
    return next
  }
}

/** A record's bytes but for its time: what tells whether it changed. */
function contentOf(record: Omit<HostDescriptorWire, 'updated'>): string {
  return encode(hostDescriptor, { ...record, updated: 0 }).toString('hex')
}
