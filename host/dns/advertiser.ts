import type DHT from 'hyperdht'
import type { KeyPair } from 'hyperdht'
import { formatId } from '../encoding/ids.ts'
import { releaseTopic, serviceHash } from '../manifest/index.ts'
import type { DescriptorAppWire, DescriptorBridgeWire } from '../messages.ts'
import { bridgeServiceHash } from '../manifest/index.ts'
import type { Logger } from '../log/index.ts'
import { encodeDescriptor, publishDescriptor } from './descriptor.ts'
import { Lifecycle } from '../util/lifecycle.ts'
import { inPool } from '../util/pool.ts'
import { backgroundCatch } from '../util/safety-catch.ts'

/**
 * Keeps this host findable: announces each running service under its service hash, each app
 * under its code hash and under its release topic (publisher, name: how other hosts find newer
 * versions), all with the host key pair, so a lookup learns which host to ask; and
 * publishes the host descriptor that vouches for them. HyperDHT drops announcements after about
 * 20 minutes and records after about 48 hours, so both are refreshed every `refreshMs`
 * (default 10 minutes). Withdrawn apps are unannounced at once.
 */

/**
 * Unannounce walks run this many at a time when the advertiser closes: a host with 1,000 apps
 * has 3,000 topics, and thousands of walks at once crowd the node's request window
 * (unannouncing 600 topics all at once took 55.6 s, 8 at a time 1.0 s).
 */
const WALKS_AT_ONCE = 8

export interface AdvertisedTopic {
  topic: string
  kind: 'service' | 'app' | 'release' | 'bridge'
  app: string
  service: string | null
  lastRefresh: string | null
}

export interface AdvertiserInit {
  refreshMs?: number
}

export class Advertiser {
  private apps: DescriptorAppWire[] = []
  private bridges: DescriptorBridgeWire[] = []
  private topics = new Map<string, AdvertisedTopic>()
  private seq = 0
  private timer: NodeJS.Timeout | null = null
  private chain: Promise<void> = Promise.resolve()
  private readonly life = new Lifecycle()
  private get closed(): boolean {
    return this.life.closed
  }
  lastDescriptor: string | null = null
  /**
   * Apps left out of the descriptor because it holds one DHT record (1000 bytes, ~8 one-service
   * apps): they run and answer on their service keys, but a verified lookup cannot find them,
   * so their topics are not announced either. Empty when everything fits.
   */
  unlisted: string[] = []
  /** The apps the descriptor lists (see fit()); set whenever apps or bridges change. */
  private listed: DescriptorAppWire[] = []

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
    for (const b of this.bridges) {
      const t = formatId(bridgeServiceHash(this.keyPair.publicKey, b.name))
      next.set(t, before.get(t) ?? { topic: t, kind: 'bridge', app: 'bridge', service: b.name, lastRefresh: null })
    }
    this.listed = this.fit()
    for (const a of this.listed) {
      const code = Buffer.from(a.codeHash)
      next.set(formatId(code), before.get(formatId(code)) ?? { topic: formatId(code), kind: 'app', app: a.name, service: null, lastRefresh: null })
      const release = formatId(releaseTopic(a.publisher, a.name))
      next.set(release, before.get(release) ?? { topic: release, kind: 'release', app: a.name, service: null, lastRefresh: null })
      for (const s of a.services) {
        const t = formatId(serviceHash(code, s.name))
        next.set(t, before.get(t) ?? { topic: t, kind: 'service', app: a.name, service: s.name, lastRefresh: null })
      }
    }
    this.topics = next
    // the descriptor first: a lookup that finds an announcement must find it vouched for
    await this.publish()
    await inPool(
      [...next].filter(([t]) => !before.has(t)),
      WALKS_AT_ONCE,
      ([, info]) => this.announce(info)
    )
    await inPool(
      [...before.keys()].filter((t) => !next.has(t)),
      WALKS_AT_ONCE,
      (t) => this.withdraw(t)
    )
  }

  /**
   * Check that a descriptor listing the current apps and these bridges fits one record.
   * @throws USAGE when it would not
   */
  checkFits(bridges: DescriptorBridgeWire[]): void {
    encodeDescriptor({ host: this.keyPair.publicKey, updated: Math.floor(Date.now() / 1000), apps: this.apps, bridges })
  }

  /** Re-announce every topic and re-publish the descriptor. */
  refresh(): Promise<void> {
    return this.serial(async () => {
      await this.publish()
      for (const info of this.topics.values()) await this.announce(info)
    })
  }

  /** What is advertised, for status. */
  status(): AdvertisedTopic[] {
    return [...this.topics.values()]
  }

  /** Unannounce everything (the descriptor is left to expire: there is no delete). */
  close(): Promise<void> {
    return this.life.close(async () => {
      if (this.timer) clearInterval(this.timer)
      await this.chain
      const topics = [...this.topics.keys()]
      this.topics.clear()
      // a destroyed node throws synchronously, and close() must not
      await inPool(topics, WALKS_AT_ONCE, (t) =>
        Promise.resolve()
          .then(() => this.dht.unannounce(Buffer.from(t, 'hex'), this.keyPair))
          .catch(() => {})
      )
    })
  }

  /**
   * The apps the descriptor lists: all of them, or when they do not fit one record the longest
   * prefix (in the order the host gave them) that does, the rest kept in `unlisted`. Without
   * this, one app too many left the host with no descriptor at all, so none of its apps could
   * be found by a verified lookup.
   */
  private fit(): DescriptorAppWire[] {
    const fits = (n: number): boolean => {
      try {
        encodeDescriptor({ host: this.keyPair.publicKey, updated: 0, apps: this.apps.slice(0, n), bridges: this.bridges })
        return true
      } catch {
        return false
      }
    }
    let n = this.apps.length
    if (!fits(n)) {
      let lo = 0
      let hi = n
      while (lo < hi) {
        const mid = Math.ceil((lo + hi) / 2)
        if (fits(mid)) lo = mid
        else hi = mid - 1
      }
      n = lo
    }
    const unlisted = this.apps.slice(n).map((a) => a.name)
    if (unlisted.join() !== this.unlisted.join() && unlisted.length > 0) {
      this.log.warn('the host descriptor is full: these apps run but a verified lookup cannot find them (connect by service key works)', {
        listed: n,
        unlisted: unlisted.length,
        first: unlisted.slice(0, 8)
      })
    }
    this.unlisted = unlisted
    return this.apps.slice(0, n)
  }

  private async publish(): Promise<void> {
    try {
      this.seq = await publishDescriptor(this.dht, this.keyPair, this.listed, this.seq, this.bridges)
      this.lastDescriptor = new Date().toISOString()
      this.log.debug('descriptor published', { seq: this.seq, apps: this.apps.length })
    } catch (err) {
      this.log.warn('descriptor publish failed', { error: (err as Error).message })
    }
  }

  private async announce(info: AdvertisedTopic): Promise<void> {
    try {
      await this.dht.announce(Buffer.from(info.topic, 'hex'), this.keyPair).finished()
      info.lastRefresh = new Date().toISOString()
      this.log.debug('announced', { topic: info.topic, kind: info.kind, app: info.app, service: info.service })
    } catch (err) {
      this.log.warn('announce failed', { topic: info.topic, error: (err as Error).message })
    }
  }

  private async withdraw(topic: string): Promise<void> {
    try {
      await this.dht.unannounce(Buffer.from(topic, 'hex'), this.keyPair)
      this.log.debug('withdrawn', { topic })
    } catch (err) {
      this.log.warn('unannounce failed', { topic, error: (err as Error).message })
    }
  }

  private serial(fn: () => Promise<void>): Promise<void> {
    const next = this.chain.then(() => (this.closed ? undefined : fn()))
    this.chain = next.catch(backgroundCatch(this.log, 'advertiser'))
    return next
  }
}
