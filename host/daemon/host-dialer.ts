import type DHT from 'hyperdht'
import type { KeyPair, SecretStream } from 'hyperdht'
import { DIAL_CACHE, ONION } from '../constants.ts'
import { formatId } from '../encoding/ids.ts'
import { isHypernetError } from '../errors.ts'
import { lookupVerified } from '../dns/index.ts'
import type { LookupPeer } from '../dns/index.ts'
import type { Logger } from '../log/index.ts'
import { DialCache, abortable, connectWithRelay, dialServiceHash } from '../net/index.ts'
import type { RelayDirectory } from '../net/index.ts'
import { OnionClient, connectHidden, dialAnonymous, saveGuards } from '../onion/index.ts'
import type { GuardRecord } from '../onion/index.ts'
import { ANONYMOUS_PREFIX, HIDDEN_PREFIX } from '../plugins/index.ts'
import type { DialTarget, DuplexLike } from '../plugins/index.ts'

/**
 * How the host reaches out: a plugin's dial by service hash, by key, anonymously (a fresh onion
 * circuit) or to a hidden service; a connection to a service key, direct when a hole can be
 * punched, else through a relay; and the host's onion client, made on first use, whose guards
 * are kept in the home so a restart goes on with the same first hops.
 */

export interface HostDialerComponents {
  dht: DHT
  identity: KeyPair
  relays: RelayDirectory
  log: Logger
  /** Where the onion guards are kept, and the ones read from it at start. */
  guardsFile: string
  savedGuards: GuardRecord[]
  /** The service keys of this host's apps (hex): never dialed by hash, so the host never reaches itself. */
  ownServiceKeys(): Set<string>
  /** The app of this host that serves `serviceHash`, and its key; null when none does. */
  ownService(serviceHash: Buffer): { app: string; key: Buffer } | null
}

export class HostDialer {
  /** Plugin dials by hash: one lookup per hash in flight, peers kept briefly, failing targets backed off. */
  readonly cache = new DialCache((hash) => this.collectPeers(hash))
  private client: OnionClient | null = null
  private guardWrites: Promise<void> = Promise.resolve()

  constructor(private readonly c: HostDialerComponents) {}

  /** The onion client, once something used it (a plugin's anonymous dial, a hidden service). */
  get onionClient(): OnionClient | null {
    return this.client
  }

  /**
   * A plugin's dial. A target that failed recently fails again at once, with its last error,
   * until its backoff ends (DialCache); `signal` gives the dial up (the plugin closed it or
   * stopped), destroying whatever was being opened.
   */
  async dial(target: DialTarget, app: string, signal: AbortSignal): Promise<DuplexLike> {
    const kind = target.raw.startsWith(HIDDEN_PREFIX) ? HIDDEN_PREFIX : target.raw.startsWith(ANONYMOUS_PREFIX) ? ANONYMOUS_PREFIX : ''
    const key = `${kind}${formatId(target.serviceHash)}${target.serviceKey ? `@${formatId(target.serviceKey)}` : ''}`
    this.cache.check(key)
    try {
      const stream = await this.dialOnce(target, app, signal)
      this.cache.succeeded(key)
      return stream
    } catch (err) {
      this.cache.failed(key, err)
      throw err
    }
  }

  private async dialOnce(target: DialTarget, app: string, signal: AbortSignal): Promise<DuplexLike> {
    if (target.raw.startsWith(HIDDEN_PREFIX)) return abortable(this.dialHidden(target.serviceKey!, app), signal, destroyLate)
    if (target.raw.startsWith(ANONYMOUS_PREFIX)) return abortable(this.dialAnonymously(target, app), signal, destroyLate)
    if (target.serviceKey) return this.connect(target.serviceKey, undefined, signal)
    const peers = await this.cache.peers(target.serviceHash, signal)
    try {
      const { stream, peer } = await dialServiceHash(this.c.dht, target.serviceHash, {
        peers,
        exclude: this.c.ownServiceKeys(),
        connect: (k, ms, sig) => this.connect(k, ms, sig),
        signal
      })
      this.c.log.debug('plugin connected out', { app, target: target.raw, host: peer.hostKey })
      return stream
    } catch (err) {
      this.cache.forgetPeers(target.serviceHash) // a peer that no longer answers: look again next time
      // other hosts first; a service of another app that only this host runs is still reachable
      // (a proxy in front of a local app). Never the dialing app's own: self/<name> is for that.
      const own = isHypernetError(err, 'NOT_FOUND') ? this.c.ownService(target.serviceHash) : null
      if (own && own.app !== app) {
        this.c.log.debug('plugin connected to an app on this host', { app, target: target.raw, to: own.app })
        return this.connect(own.key, undefined, signal)
      }
      throw err
    }
  }

  /** The verified peers of `hash` (at most DIAL_CACHE.maxPeers), for the dial cache. */
  private async collectPeers(hash: Buffer): Promise<LookupPeer[]> {
    const peers: LookupPeer[] = []
    for await (const p of lookupVerified(this.c.dht, hash, { limit: DIAL_CACHE.maxPeers })) peers.push(p)
    return peers
  }

  /** A plugin's anonymous dial: a fresh onion circuit, never through this host's own relay. */
  private async dialAnonymously(target: DialTarget, app: string): Promise<DuplexLike> {
    const stream = await dialAnonymous(this.c.dht, this.onion(), target, this.c.ownServiceKeys())
    stream.on('error', () => {}) // the runtime attaches its own listeners once this resolves
    this.c.log.debug('plugin connected out anonymously', { app })
    return stream
  }

  /** A plugin's dial to a hidden service (`hidden/<key>`): a rendezvous, end-to-end encrypted. */
  private async dialHidden(key: Buffer, app: string): Promise<DuplexLike> {
    const { stream } = await connectHidden(this.onion(), key)
    this.c.log.debug('plugin connected to a hidden service', { app })
    return stream
  }

  /**
   * Open a stream to a service key: direct when a hole can be punched, else through a relay.
   * @throws CONNECTION_FAILED
   */
  connect(serviceKey: Buffer, timeoutMs?: number, signal?: AbortSignal): Promise<SecretStream> {
    return connectWithRelay(this.c.dht, serviceKey, { relays: this.c.relays, timeoutMs, signal })
  }

  /** The host's onion client: circuits never run through this host's own relay. */
  onion(): OnionClient {
    this.client ??= new OnionClient(this.c.dht, {
      excludeHosts: [formatId(this.c.identity.publicKey)],
      guards: ONION.hostGuards,
      prebuilt: ONION.hostPrebuilt,
      savedGuards: this.c.savedGuards,
      // kept in the home, in order, so a restart goes on with the same first hops
      onGuards: (guards) => {
        this.guardWrites = this.guardWrites
          .then(() => saveGuards(this.c.guardsFile, guards))
          .catch((err: Error) => this.c.log.warn('could not save the onion guards', { error: err.message }))
      }
    })
    return this.client
  }

  /** Forget cached peers and failures, close the onion client, and let the last guard write land. */
  async close(): Promise<void> {
    this.cache.clear()
    await this.client?.close()
    await this.guardWrites
  }
}

/** A stream that opened after its dial was given up is destroyed, not leaked. */
function destroyLate(stream: DuplexLike): void {
  stream.on('error', () => {})
  stream.destroy()
}
