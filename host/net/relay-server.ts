import { createHash } from 'node:crypto'
import DHT from 'hyperdht'
import type { KeyPair, NodeAddress, SecretStream, Server } from 'hyperdht'
import { Server as BlindRelay } from 'blind-relay'
import type { RelayStream } from 'blind-relay'
import { NAMESPACE, RELAY } from '../constants.ts'
import { formatId } from '../encoding/ids.ts'
import type { Logger } from '../log/index.ts'
import { createDhtNode } from './dht-node.ts'
import { probeReachability } from './netcheck.ts'
import { Lifecycle } from '../util/lifecycle.ts'

/**
 * A host's offer to relay for others (`start --relay`): a blind relay (the `blind-relay`
 * protocol hyperdht speaks when a connection names `relayThrough`) on a DHT node of its own,
 * announced under NAMESPACE.RELAY_TOPIC so hosts find it without configuration. The relay only
 * pairs two UDX streams by a token both ends got in their handshake and forwards their
 * packets natively: it sees ciphertext, never the peers' keys to the stream.
 *
 * Its own DHT node keeps relayed traffic apart from the host's services, so the node's UDP
 * counters measure exactly what it relays (udx-native forwards relayed packets without
 * counting them per stream). Limits:
 * - relayed connections at once (`maxConnections`): sessions are refused in the firewall once
 *   it is reached, and a pairing past it is cut at once;
 * - sessions from one peer key (`maxSessionsPerPeer`);
 * - bandwidth (`maxBytesPerSecond`), sampled each second: while over, new sessions are
 *   refused; after `overLimitSeconds` in a row the newest relayed connection is cut.
 */

export interface RelayLimits {
  maxConnections: number
  maxSessionsPerPeer: number
  maxBytesPerSecond: number
  overLimitSeconds: number
}

export interface RelayServerInit {
  bootstrap?: NodeAddress[]
  /** UDP port of the relay's DHT node (default: any free port). */
  port?: number
  host?: string
  limits?: Partial<RelayLimits>
  announceIntervalMs?: number
  /** Peer keys (hex) never served: the host firewall's deny list. */
  denied?: () => ReadonlySet<string>
}

export interface RelayStatus {
  key: string
  address: string | null
  firewalled: boolean
  sessions: number
  connections: number
  bytesPerSecond: number
  bytesReceived: number
  paired: number
  refused: { connections: number; perPeer: number; bandwidth: number; cut: number; denied: number }
  limits: RelayLimits
}

/** The relay's key pair: SHA-256(NAMESPACE.RELAY_KEY || host secret key), stable across restarts. */
export function relayKeyPair(hostSecretKey: Uint8Array): KeyPair {
  return DHT.keyPair(createHash('sha256').update(NAMESPACE.RELAY_KEY).update(hostSecretKey).digest())
}

interface Pair {
  streams: Set<RelayStream>
  since: number
}

export class RelayServer {
  dht: DHT | null = null
  readonly limits: RelayLimits
  private server: Server | null = null
  private relay: BlindRelay | null = null
  private readonly pairs = new Map<string, Pair>()
  private readonly refusedTokens = new Set<string>()
  private readonly perPeer = new Map<string, number>()
  private readonly sockets = new Set<SecretStream>()
  private readonly refused = { connections: 0, perPeer: 0, bandwidth: 0, cut: 0, denied: 0 }
  private timers: NodeJS.Timeout[] = []
  private lastRx = 0
  private rate = 0
  private overFor = 0
  private paired = 0
  private readonly life = new Lifecycle()
  private get closed(): boolean {
    return this.life.closed
  }

  constructor(
    readonly keyPair: KeyPair,
    private readonly log: Logger,
    private readonly init: RelayServerInit = {}
  ) {
    const { maxConnections, maxSessionsPerPeer, maxBytesPerSecond, overLimitSeconds } = RELAY
    this.limits = { maxConnections, maxSessionsPerPeer, maxBytesPerSecond, overLimitSeconds, ...init.limits }
  }

  ready(): Promise<void> {
    return this.life.ready(() => this.open())
  }

  private async open(): Promise<void> {
    const dht = await createDhtNode({ bootstrap: this.init.bootstrap, port: this.init.port, host: this.init.host })
    this.dht = dht
    this.relay = new BlindRelay({ createStream: (opts) => dht.createRawStream({ ...opts, framed: true }) })
    this.server = dht.createServer({ firewall: (remote) => this.refuse(remote) }, (socket) => this.accept(socket))
    await this.server.listen(this.keyPair)
    this.lastRx = dht.udx.bytesReceived
    const sample = setInterval(() => this.sample(), 1000)
    const announce = setInterval(() => void this.announce(), this.init.announceIntervalMs ?? RELAY.lookupIntervalMs)
    sample.unref()
    announce.unref()
    this.timers.push(sample, announce)
    await this.announce()
    await dht.fullyBootstrapped()
    await probeReachability(dht)
    this.log.info('relay offered', { relay: formatId(this.keyPair.publicKey), firewalled: dht.firewalled, limits: this.limits })
    if (dht.firewalled) this.log.warn('the relay is behind a firewall or NAT: only peers that can reach it will use it')
  }

  status(): RelayStatus {
    const remote = this.dht?.remoteAddress() ?? null
    return {
      key: formatId(this.keyPair.publicKey),
      address: remote && remote.host ? `${remote.host}:${remote.port}` : null,
      firewalled: this.dht?.firewalled ?? true,
      sessions: this.sockets.size,
      connections: this.pairs.size,
      bytesPerSecond: this.rate,
      bytesReceived: this.dht ? this.dht.udx.bytesReceived : 0,
      paired: this.paired,
      refused: { ...this.refused },
      limits: { ...this.limits }
    }
  }

  close(): Promise<void> {
    return this.life.close(() => this.shutdown())
  }

  private async shutdown(): Promise<void> {
    for (const t of this.timers) clearInterval(t)
    if (this.dht) await this.dht.unannounce(NAMESPACE.RELAY_TOPIC, this.keyPair).catch(() => {})
    await this.relay?.close().catch(() => {})
    for (const s of this.sockets) s.destroy()
    await this.server?.close().catch(() => {})
    await this.dht?.destroy()
  }

  private async announce(): Promise<void> {
    if (this.closed || !this.dht) return
    try {
      await this.dht.announce(NAMESPACE.RELAY_TOPIC, this.keyPair).finished()
    } catch (err) {
      this.log.warn('relay announce failed', { error: (err as Error).message })
    }
  }

  /** hyperdht's firewall: return true to refuse a session. */
  private refuse(remote: Buffer): boolean {
    const peer = formatId(remote)
    let why: keyof RelayServer['refused'] | null = null
    if (this.init.denied?.().has(peer)) why = 'denied'
    else if (this.pairs.size >= this.limits.maxConnections) why = 'connections'
    else if ((this.perPeer.get(peer) ?? 0) >= this.limits.maxSessionsPerPeer) why = 'perPeer'
    else if (this.rate > this.limits.maxBytesPerSecond) why = 'bandwidth'
    if (why === null) return false
    this.refused[why]++
    this.log.debug('relay session refused', { peer, why })
    return true
  }

  private accept(socket: SecretStream): void {
    const peer = formatId(socket.remotePublicKey)
    this.sockets.add(socket)
    this.perPeer.set(peer, (this.perPeer.get(peer) ?? 0) + 1)
    socket.setKeepAlive(5000)
    socket.on('error', () => {})
    socket.once('close', () => {
      this.sockets.delete(socket)
      const n = (this.perPeer.get(peer) ?? 1) - 1
      if (n === 0) this.perPeer.delete(peer)
      else this.perPeer.set(peer, n)
    })
    const session = this.relay!.accept(socket, { id: socket.remotePublicKey })
    session.on('error', () => {})
    session.on('pair', (_isInitiator, token, stream) => this.onPair(token.toString('hex'), stream))
  }

  private onPair(token: string, stream: RelayStream): void {
    let pair = this.pairs.get(token)
    if (!pair && (this.refusedTokens.has(token) || this.pairs.size >= this.limits.maxConnections)) {
      // the second link of a refused pairing meets the same fate as the first
      if (!this.refusedTokens.has(token)) {
        this.refused.connections++
        this.refusedTokens.add(token)
        setTimeout(() => this.refusedTokens.delete(token), 30_000).unref()
      }
      stream.destroy()
      return
    }
    if (!pair) {
      pair = { streams: new Set(), since: Date.now() }
      this.pairs.set(token, pair)
      this.paired++
    }
    const p = pair
    p.streams.add(stream)
    stream.once('close', () => {
      p.streams.delete(stream)
      if (p.streams.size === 0 && this.pairs.get(token) === p) this.pairs.delete(token)
    })
  }

  private sample(): void {
    if (!this.dht) return
    const rx = this.dht.udx.bytesReceived
    this.rate = Math.max(0, rx - this.lastRx)
    this.lastRx = rx
    if (this.rate <= this.limits.maxBytesPerSecond) {
      this.overFor = 0
      return
    }
    if (++this.overFor < this.limits.overLimitSeconds) return
    this.overFor = 0
    let newest: [string, Pair] | null = null
    for (const e of this.pairs) if (!newest || e[1].since >= newest[1].since) newest = e
    if (!newest) return
    this.refused.cut++
    this.log.warn('relayed connection cut: relay over its bandwidth limit', { bytesPerSecond: this.rate, limit: this.limits.maxBytesPerSecond })
    this.pairs.delete(newest[0])
    for (const s of newest[1].streams) s.destroy()
  }
}
