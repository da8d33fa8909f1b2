import type DHT from 'hyperdht'
import { NAMESPACE, RELAY } from '../constants.ts'
import { formatId } from '../encoding/ids.ts'
import type { Logger } from '../log/index.ts'
import { backgroundCatch } from '../util/safety-catch.ts'

/**
 * The relays this host may pair through when hole punching cannot work: hosts that run
 * `start --relay` announce their relay key under NAMESPACE.RELAY_TOPIC, and the directory looks
 * that topic up at start, every `intervalMs`, and whenever a relay is wanted and none is known.
 * Anyone can announce the topic; that is safe because a relay is blind (it forwards encrypted
 * UDX packets and never holds the stream keys): a bad relay can only fail to carry, and a
 * relay that fails is set aside for `penaltyMs`.
 */

export interface RelayDirectoryInit {
  /** Relay keys (hex) never to use, e.g. this host's own relay. */
  exclude?: string[]
  /** Relay keys (hex) to use besides (and before) the ones found. */
  pinned?: string[]
  intervalMs?: number
  lookupTimeoutMs?: number
  maxRelays?: number
  penaltyMs?: number
}

export interface KnownRelay {
  key: string
  source: 'pinned' | 'dht'
  failedAt: string | null
}

export class RelayDirectory {
  private readonly relays = new Map<string, { source: 'pinned' | 'dht'; failedAt: number | null }>()
  private timer: NodeJS.Timeout | null = null
  private refreshing: Promise<void> | null = null
  private closed = false
  lastLookup: string | null = null

  constructor(
    private readonly dht: DHT,
    private readonly log: Logger,
    private readonly init: RelayDirectoryInit = {}
  ) {
    for (const k of init.pinned ?? []) this.relays.set(k, { source: 'pinned', failedAt: null })
  }

  /** Start looking (in the background: a host never waits for relays to start). */
  async ready(): Promise<void> {
    if (this.timer || this.closed) return
    this.timer = setInterval(() => void this.refresh().catch(backgroundCatch(this.log, 'relay lookup')), this.init.intervalMs ?? RELAY.lookupIntervalMs)
    this.timer.unref()
    void this.refresh().catch(backgroundCatch(this.log, 'relay lookup'))
  }

  /** Look the relay topic up once; concurrent calls share one lookup. Never throws. */
  refresh(): Promise<void> {
    this.refreshing ??= this.lookup().finally(() => (this.refreshing = null))
    return this.refreshing
  }

  /** A relay to pair through, or null when none is known; a lookup runs first if needed. */
  async pick(): Promise<Buffer | null> {
    if (this.usable().length === 0) await this.refresh()
    const keys = this.usable()
    if (keys.length === 0) return null
    const pinned = keys.filter((k) => this.relays.get(k)!.source === 'pinned')
    const from = pinned.length ? pinned : keys
    return Buffer.from(from[Math.floor(Math.random() * from.length)], 'hex')
  }

  /** A known relay without looking (for hyperdht's synchronous relayThrough hook), or null. */
  pickKnown(): Buffer | null {
    const keys = this.usable()
    return keys.length ? Buffer.from(keys[Math.floor(Math.random() * keys.length)], 'hex') : null
  }

  /** Set a relay aside after it failed to carry a connection. */
  failed(key: Buffer): void {
    const r = this.relays.get(formatId(key))
    if (r) r.failedAt = Date.now()
  }

  list(): KnownRelay[] {
    return [...this.relays].map(([key, r]) => ({ key, source: r.source, failedAt: r.failedAt ? new Date(r.failedAt).toISOString() : null }))
  }

  close(): void {
    this.closed = true
    if (this.timer) clearInterval(this.timer)
  }

  private usable(): string[] {
    const penalty = this.init.penaltyMs ?? 60_000
    return [...this.relays].filter(([, r]) => r.failedAt === null || Date.now() - r.failedAt > penalty).map(([k]) => k)
  }

  private async lookup(): Promise<void> {
    if (this.closed || this.dht.destroyed) return
    const exclude = new Set(this.init.exclude ?? [])
    const found = new Set<string>()
    const query = this.dht.lookup(NAMESPACE.RELAY_TOPIC)
    const timer = setTimeout(() => query.destroy(), this.init.lookupTimeoutMs ?? 5000)
    try {
      for await (const reply of query) {
        for (const p of reply.peers) {
          const k = formatId(p.publicKey)
          if (!exclude.has(k)) found.add(k)
        }
        if (found.size >= (this.init.maxRelays ?? 16)) break
      }
    } catch (err) {
      // a failed or cut-short lookup keeps what it found (a bug is logged)
      backgroundCatch(this.log, 'relay lookup')(err)
    } finally {
      clearTimeout(timer)
      query.destroy()
    }
    for (const [k, r] of [...this.relays]) if (r.source === 'dht' && !found.has(k)) this.relays.delete(k)
    for (const k of found) if (!this.relays.has(k)) this.relays.set(k, { source: 'dht', failedAt: null })
    this.lastLookup = new Date().toISOString()
    this.log.debug('relays looked up', { found: found.size })
  }
}
