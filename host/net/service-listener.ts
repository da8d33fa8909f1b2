import type DHT from 'hyperdht'
import type { KeyPair, SecretStream, Server } from 'hyperdht'
import { formatId } from '../encoding/ids.ts'
import { HypernetError } from '../errors.ts'
import type { Logger } from '../log/index.ts'
import { PLUGIN_QUOTAS } from '../constants.ts'
import { ConnectionLedger } from './connection-ledger.ts'
import { listenServer } from './listen-server.ts'
import { Lifecycle } from '../util/lifecycle.ts'
import { inPool } from '../util/pool.ts'

/**
 * One HyperDHT server per running service, each on its own key pair, with the host's
 * connection policy applied in the firewall callback (before the handshake completes, so a
 * refused peer costs almost nothing): a deny list, an optional allow list, and limits per peer
 * key, per remote address (keys are free to make, addresses are not), per service and in total.
 *
 * A full service does not lock newcomers out: it evicts the idlest connection of the address
 * holding the most connections on it (go-libp2p's resource manager does the like), so one
 * address filling a service with throwaway keys only ever evicts itself. When nobody can be
 * evicted the newcomer is admitted and closed at once, so it learns in one round trip instead of
 * waiting out its handshake timeout (a hyperdht firewall refusal is silent). Connections that
 * move no data either way for `idleMs` are closed. Refusals are logged and counted.
 */

export interface ConnectionPolicy {
  maxPerPeer: number
  maxPerService: number
  maxTotal: number
  /** Connections from one remote IP address at once, all services together. */
  maxPerAddress: number
  /** Close a connection that moved no data either way for this long, in ms (0: never); a service may set its own. */
  idleMs: number
  /** Peer keys (hex) that may never connect. */
  deny: Set<string>
  /** When non-empty, only these peer keys (hex) may connect. */
  allow: Set<string>
}

export const DEFAULT_POLICY: ConnectionPolicy = {
  maxPerPeer: 64,
  maxPerService: 1024,
  maxTotal: 4096,
  maxPerAddress: 1024,
  idleMs: PLUGIN_QUOTAS.idleTimeoutMs.default,
  deny: new Set(),
  allow: new Set()
}

export type OnServiceConnection = (serviceHash: string, stream: SecretStream) => void

export interface ServiceListenerOptions {
  /** A relay to offer connecting clients (hyperdht's relayThrough), or null for none. */
  relayThrough?: () => Buffer | null
}

interface Reservation {
  timer: NodeJS.Timeout
  address: string
  /** Admitted only to be closed at once: the service was full and nobody could be evicted. */
  turnAway: boolean
}

interface Listening {
  server: Server
  keyPair: KeyPair
  /** Connections open or admitted by the firewall and on their way. */
  open: number
  streams: Set<SecretStream>
  reservations: Map<string, Reservation[]>
  /** This service's idle timeout, when it asked for its own. */
  idleMs?: number
}

/** Servers closed at once when the listener closes. */
const UNLISTEN_AT_ONCE = 8

/** How long a slot admitted by the firewall waits for its connection. */
const RESERVATION_MS = 20_000

export class ServiceListener {
  private readonly listening = new Map<string, Listening>()
  private readonly ledger = new ConnectionLedger()
  private total = 0
  /** Refusals by reason, and connections evicted or closed for idleness. */
  readonly refused = { denied: 0, perPeer: 0, perAddress: 0, perService: 0, total: 0, evicted: 0, idle: 0 }
  private readonly life = new Lifecycle()
  private get closed(): boolean {
    return this.life.closed
  }
  private sweeper: NodeJS.Timeout | null = null
  private sweepEvery = 0

  constructor(
    private readonly dht: DHT,
    private readonly onConnection: OnServiceConnection,
    private readonly log: Logger,
    readonly policy: ConnectionPolicy = DEFAULT_POLICY,
    private readonly opts: ServiceListenerOptions = {}
  ) {}

  ready(): Promise<void> {
    return this.life.ready(() => this.schedule())
  }

  /** Sweep every quarter of the shortest idle timeout (250 ms to 30 s): a connection is closed at most that late. */
  private schedule(): void {
    const idles = [this.policy.idleMs, ...[...this.listening.values()].map((l) => l.idleMs ?? 0)].filter((ms) => ms > 0)
    const every = Math.max(250, Math.min(30_000, ...idles.map((ms) => ms / 4)))
    if (this.sweeper && this.sweepEvery === every) return
    if (this.sweeper) clearInterval(this.sweeper)
    this.sweepEvery = every
    this.sweeper = setInterval(() => this.sweepIdle(), every)
    this.sweeper.unref()
  }

  /** Listen for a service on its key pair (`idleMs`: its own idle timeout). Listening twice is a no-op. */
  async listen(serviceHash: string, keyPair: KeyPair, opts: { idleMs?: number } = {}): Promise<void> {
    if (this.closed || this.listening.has(serviceHash)) return
    const entry: Listening = { server: null as unknown as Server, keyPair, open: 0, streams: new Set(), reservations: new Map(), idleMs: opts.idleMs }
    const relayThrough = this.opts.relayThrough ?? null
    entry.server = this.dht.createServer(
      { firewall: (remote, _payload, from) => this.refuse(serviceHash, entry, remote, from?.host ?? 'unknown'), relayThrough },
      (stream) => this.accept(serviceHash, entry, stream)
    )
    this.listening.set(serviceHash, entry)
    if (opts.idleMs && this.sweeper) this.schedule()
    const failed = (err: Error): void => {
      if (this.listening.get(serviceHash) === entry) this.listening.delete(serviceHash)
      this.log.warn('listen failed', { service: serviceHash, error: err.message })
    }
    try {
      await listenServer(this.dht, entry.server, keyPair, failed)
    } catch (err) {
      if (this.listening.get(serviceHash) === entry) this.listening.delete(serviceHash)
      throw err
    }
  }

  /** Stop listening for a service; its open connections are left to the plugin runtime. */
  async unlisten(serviceHash: string): Promise<void> {
    const entry = this.listening.get(serviceHash)
    if (!entry) return
    this.listening.delete(serviceHash)
    for (const [peer, list] of entry.reservations)
      for (const r of [...list]) {
        clearTimeout(r.timer)
        this.release(entry, peer, r)
      }
    for (const stream of entry.streams) this.ledger.drop(stream)
    await entry.server.close()
  }

  /** Open connections per service hash. */
  connections(): Record<string, number> {
    return Object.fromEntries([...this.listening].map(([k, v]) => [k, v.streams.size]))
  }

  /** The open connections of one service (for status: who, and by which path). */
  streams(serviceHash: string): SecretStream[] {
    return [...(this.listening.get(serviceHash)?.streams ?? [])]
  }

  close(): Promise<void> {
    return this.life.close(async () => {
      if (this.sweeper) clearInterval(this.sweeper)
      // a few at a time: each close unannounces its key, and thousands of walks at once
      // crowd the node's request window (see the advertiser's close)
      await inPool([...this.listening.keys()], UNLISTEN_AT_ONCE, (k) => this.unlisten(k).catch(() => {}))
    })
  }

  /**
   * hyperdht's firewall: return true to refuse. An admitted handshake reserves its slot at
   * once: the server's 'connection' event can come after the client already sees the stream
   * open, and a second handshake in between must count the first. A reservation that never
   * becomes a connection (the punch failed) is released after RESERVATION_MS.
   */
  private refuse(serviceHash: string, entry: Listening, remote: Buffer, address: string): boolean {
    const peer = formatId(remote)
    const p = this.policy
    let why: 'denied' | 'perPeer' | 'perAddress' | 'perService' | 'total' | null = null
    if (p.deny.has(peer) || (p.allow.size > 0 && !p.allow.has(peer))) why = 'denied'
    else if ((this.ledger.perPeer.get(peer) ?? 0) >= p.maxPerPeer) why = 'perPeer'
    else if ((this.ledger.perAddress.get(address) ?? 0) >= p.maxPerAddress) why = 'perAddress'
    else if (entry.open >= p.maxPerService || this.total >= p.maxTotal) {
      const victim = this.ledger.victim(serviceHash, address)
      if (victim) {
        this.refused.evicted++
        this.log.debug('connection evicted for a newcomer', { service: serviceHash, peer: victim.peer, address: victim.address })
        victim.stream.destroy(HypernetError.CONNECTION_FAILED(`evicted: service ${serviceHash} is full and ${victim.address} holds the most connections`))
        // the victim's slot is given back on its 'close'; the newcomer is counted from now
      } else {
        why = entry.open >= p.maxPerService ? 'perService' : 'total'
      }
    }
    if (why === 'denied' || why === 'perPeer' || why === 'perAddress') {
      this.refused[why]++
      this.log.debug('connection refused', { service: serviceHash, peer, address, why })
      return true
    }
    const turnAway = why !== null
    if (why !== null) {
      this.refused[why]++
      this.log.debug('connection turned away: service full', { service: serviceHash, peer, address, why })
    } else {
      this.take(entry, peer, address)
    }
    const r: Reservation = { timer: setTimeout(() => this.release(entry, peer, r), RESERVATION_MS), address, turnAway }
    r.timer.unref()
    const list = entry.reservations.get(peer) ?? []
    list.push(r)
    entry.reservations.set(peer, list)
    return false
  }

  private take(entry: Listening, peer: string, address: string): void {
    entry.open++
    this.total++
    this.ledger.take(peer, address)
  }

  private give(entry: Listening, peer: string, address: string): void {
    entry.open--
    this.total--
    this.ledger.give(peer, address)
  }

  private release(entry: Listening, peer: string, r: Reservation): void {
    const list = entry.reservations.get(peer)
    const i = list ? list.indexOf(r) : -1
    if (i === -1) return
    list!.splice(i, 1)
    if (list!.length === 0) entry.reservations.delete(peer)
    if (!r.turnAway) this.give(entry, peer, r.address)
  }

  private sweepIdle(): void {
    const idleOf = (service: string) => this.listening.get(service)?.idleMs ?? this.policy.idleMs
    for (const h of this.ledger.idle(Date.now(), idleOf)) {
      this.refused.idle++
      this.ledger.drop(h.stream)
      this.log.debug('idle connection closed', { service: h.service, peer: h.peer })
      h.stream.destroy(HypernetError.TIMEOUT(`connection idle for ${idleOf(h.service)} ms`))
    }
  }

  private accept(serviceHash: string, entry: Listening, stream: SecretStream): void {
    const peer = formatId(stream.remotePublicKey)
    // the slot was reserved by the firewall; the connection now holds it until it closes
    const list = entry.reservations.get(peer)
    const r = list?.shift()
    if (r) {
      clearTimeout(r.timer)
      if (list!.length === 0) entry.reservations.delete(peer)
    }
    stream.on('error', (err: Error) => this.log.debug('service stream error', { service: serviceHash, peer, error: err.message }))
    if (r?.turnAway) {
      // full, and nobody to evict: closing now tells the client at once
      stream.destroy()
      return
    }
    const address = r?.address ?? (stream.rawStream as { remoteHost?: string } | undefined)?.remoteHost ?? 'unknown'
    if (!r) this.take(entry, peer, address)
    entry.streams.add(stream)
    this.ledger.hold({ stream, service: serviceHash, peer, address })
    let counted = true
    stream.on('close', () => {
      if (!counted) return
      counted = false
      entry.streams.delete(stream)
      this.ledger.drop(stream)
      this.give(entry, peer, address)
    })
    this.onConnection(serviceHash, stream)
  }
}
