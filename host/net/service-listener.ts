import type DHT from 'hyperdht'
import type { KeyPair, SecretStream, Server } from 'hyperdht'
import { formatId } from '../encoding/ids.ts'
import type { Logger } from '../log/logger.ts'

/**
 * One HyperDHT server per running service, each on its own key pair, with the host's
 * connection policy applied in the firewall callback (before the handshake completes, so a
 * refused peer costs almost nothing): a deny list, an optional allow list, and limits per
 * peer, per service and in total. Refusals are logged and counted.
 */

export interface ConnectionPolicy {
  maxPerPeer: number
  maxPerService: number
  maxTotal: number
  /** Peer keys (hex) that may never connect. */
  deny: Set<string>
  /** When non-empty, only these peer keys (hex) may connect. */
  allow: Set<string>
}

export const DEFAULT_POLICY: ConnectionPolicy = { maxPerPeer: 64, maxPerService: 1024, maxTotal: 4096, deny: new Set(), allow: new Set() }

export type OnServiceConnection = (serviceHash: string, stream: SecretStream) => void

export interface ServiceListenerOptions {
  /** A relay to offer connecting clients (hyperdht's relayThrough), or null for none. */
  relayThrough?: () => Buffer | null
}

interface Reservation {
  timer: NodeJS.Timeout
}

interface Listening {
  server: Server
  keyPair: KeyPair
  /** Connections open or admitted by the firewall and on their way. */
  open: number
  streams: Set<SecretStream>
  reservations: Map<string, Reservation[]>
}

/** How long a slot admitted by the firewall waits for its connection. */
const RESERVATION_MS = 20_000

export class ServiceListener {
  private readonly listening = new Map<string, Listening>()
  private readonly perPeer = new Map<string, number>()
  private total = 0
  readonly refused = { denied: 0, perPeer: 0, perService: 0, total: 0 }
  private closed = false

  constructor(
    private readonly dht: DHT,
    private readonly onConnection: OnServiceConnection,
    private readonly log: Logger,
    readonly policy: ConnectionPolicy = DEFAULT_POLICY,
    private readonly opts: ServiceListenerOptions = {}
  ) {}

  async ready(): Promise<void> {}

  /** Listen for a service on its key pair. Listening twice is a no-op. */
  async listen(serviceHash: string, keyPair: KeyPair): Promise<void> {
    if (this.closed || this.listening.has(serviceHash)) return
    const entry: Listening = { server: null as unknown as Server, keyPair, open: 0, streams: new Set(), reservations: new Map() }
    const relayThrough = this.opts.relayThrough ?? null
    entry.server = this.dht.createServer({ firewall: (remote) => this.refuse(serviceHash, entry, remote), relayThrough }, (stream) => this.accept(serviceHash, entry, stream))
    this.listening.set(serviceHash, entry)
    try {
      await entry.server.listen(keyPair)
    } catch (err) {
      this.listening.delete(serviceHash)
      throw err
    }
  }

  /** Stop listening for a service; its open connections are left to the plugin runtime. */
  async unlisten(serviceHash: string): Promise<void> {
    const entry = this.listening.get(serviceHash)
    if (!entry) return
    this.listening.delete(serviceHash)
    for (const [peer, list] of entry.reservations) for (const r of [...list]) {
      clearTimeout(r.timer)
      this.release(entry, peer, r)
    }
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

  async close(): Promise<void> {
    if (this.closed) return
    this.closed = true
    await Promise.allSettled([...this.listening.keys()].map((k) => this.unlisten(k)))
  }

  /**
   * hyperdht's firewall: return true to refuse. An admitted handshake reserves its slot at
   * once: the server's 'connection' event can come after the client already sees the stream
   * open, and a second handshake in between must count the first. A reservation that never
   * becomes a connection (the punch failed) is released after RESERVATION_MS.
   */
  private refuse(serviceHash: string, entry: Listening, remote: Buffer): boolean {
    const peer = formatId(remote)
    const p = this.policy
    let why: keyof ServiceListener['refused'] | null = null
    if (p.deny.has(peer) || (p.allow.size > 0 && !p.allow.has(peer))) why = 'denied'
    else if ((this.perPeer.get(peer) ?? 0) >= p.maxPerPeer) why = 'perPeer'
    else if (entry.open >= p.maxPerService) why = 'perService'
    else if (this.total >= p.maxTotal) why = 'total'
    if (why === null) {
      this.take(entry, peer)
      const r = { timer: setTimeout(() => this.release(entry, peer, r), RESERVATION_MS) }
      r.timer.unref()
      const list = entry.reservations.get(peer) ?? []
      list.push(r)
      entry.reservations.set(peer, list)
      return false
    }
    this.refused[why]++
    this.log.info('connection refused', { service: serviceHash, peer, why })
    return true
  }

  private take(entry: Listening, peer: string): void {
    entry.open++
    this.total++
    this.perPeer.set(peer, (this.perPeer.get(peer) ?? 0) + 1)
  }

  private give(entry: Listening, peer: string): void {
    entry.open--
    this.total--
    const n = (this.perPeer.get(peer) ?? 1) - 1
    if (n === 0) this.perPeer.delete(peer)
    else this.perPeer.set(peer, n)
  }

  private release(entry: Listening, peer: string, r: Reservation): void {
    const list = entry.reservations.get(peer)
    const i = list ? list.indexOf(r) : -1
    if (i === -1) return
    list!.splice(i, 1)
    if (list!.length === 0) entry.reservations.delete(peer)
    this.give(entry, peer)
  }

  private accept(serviceHash: string, entry: Listening, stream: SecretStream): void {
    const peer = formatId(stream.remotePublicKey)
    // the slot was reserved by the firewall; the connection now holds it until it closes
    const list = entry.reservations.get(peer)
    const r = list?.shift()
    if (r) {
      clearTimeout(r.timer)
      if (list!.length === 0) entry.reservations.delete(peer)
    } else {
      this.take(entry, peer)
    }
    entry.streams.add(stream)
    let counted = true
    stream.on('close', () => {
      if (!counted) return
      counted = false
      entry.streams.delete(stream)
      this.give(entry, peer)
    })
    // a peer's stream error is that connection's problem only
    stream.on('error', (err: Error) => this.log.debug('service stream error', { service: serviceHash, peer, error: err.message }))
    this.onConnection(serviceHash, stream)
  }
}
