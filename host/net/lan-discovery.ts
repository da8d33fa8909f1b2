import { createSocket } from 'node:dgram'
import { EventEmitter } from 'node:events'
import makeMdns from 'multicast-dns'
import type { MulticastDNS } from 'multicast-dns'
import DHT from 'hyperdht'
import { LAN } from '../constants.ts'
import { HypernetError } from '../errors.ts'
import type { Logger } from '../log/index.ts'
import { firstLanAddress } from './interfaces.ts'

/**
 * LAN discovery, as libp2p's mDNS does it: hosts on one link find each other by multicast DNS
 * (RFC 6762 on 224.0.0.251:5353, through the `multicast-dns` package) and use each other as
 * DHT nodes.
 *
 * A host's own DHT node is adaptive: ephemeral until the network has watched it for ~20 minutes,
 * and ephemeral nodes store nothing, so two hosts alone on a link could never find each other's
 * announcements. So each host with discovery on also runs a small *LAN node*: a DHT node in
 * hyperdht's bootstrap mode, persistent from the start, bound to the host's LAN address only
 * (it never claims to be reachable from anywhere else). mDNS names it (`_hypernet._udp.local`:
 * PTR, SRV with its port, A with its address, TXT with the host key). Every LAN node found is
 * added to the host's DHT node and to this LAN node (`addNode`), so announcements and lookups
 * reach the hosts on the link with or without a bootstrap node or the internet.
 */

export interface LanPeer {
  host: string
  port: number
  /** The host key it advertised (hex). */
  key: string
  firstSeen: string
}

export interface LanDiscoveryInit {
  /** The LAN address to serve on (default: the first non-loopback IPv4 address). */
  address?: string
  /** How often to ask the link who is there, in ms (constants.ts LAN.queryIntervalMs). */
  queryIntervalMs?: number
}

export interface LanStatus {
  address: string
  port: number
  /** True when no other DHT node answered: the LAN nodes replaced the bootstrap list. */
  isolated: boolean
  /** Isolated and found reachable on the link: this host's DHT node is unfirewalled. */
  reachable: boolean
  peers: LanPeer[]
}

export class LanDiscovery extends EventEmitter {
  node: DHT | null = null
  readonly peers = new Map<string, LanPeer>()
  address = ''
  private mdns: MulticastDNS | null = null
  private timer: NodeJS.Timeout | null = null
  private opening: Promise<void> | null = null
  private closing: Promise<void> | null = null
  private readonly instance: string
  /** No DHT node had answered when discovery started: the LAN nodes are the bootstrap list. */
  isolated = false
  /** On an isolated link: hyperdht's own probe found the host's DHT node reachable (unfirewalled). */
  reachable = false
  private probing: Promise<void> | null = null

  constructor(
    private readonly c: { dht: DHT; log: Logger; hostKey: string },
    private readonly init: LanDiscoveryInit = {}
  ) {
    super()
    this.instance = `${c.hostKey.slice(0, 32)}.${LAN.service}`
  }

  /** @throws USAGE when this machine has no LAN address; ADDRESS_IN_USE when mDNS' port cannot be shared */
  ready(): Promise<void> {
    this.opening ??= this.open()
    return this.opening
  }

  private async open(): Promise<void> {
    const address = this.init.address ?? firstLanAddress()
    if (!address) throw HypernetError.USAGE('LAN discovery: this machine has no IPv4 address besides loopback (set one with config set lan.address)')
    this.address = address
    const port = await freeUdpPort(address)
    this.node = DHT.bootstrapper(port, address, { host: address, bootstrap: [] })
    await this.node.ready()
    // no DHT node answered (an isolated link): stop asking the unreachable bootstrap nodes in
    // every query (each waits for their timeouts: measured 12 s an announce); the LAN is the network
    this.isolated = this.c.dht.toArray().length === 0
    if (this.isolated) this.c.dht.bootstrapNodes = [{ host: address, port }]
    this.c.dht.addNode({ host: address, port })
    const mdns = makeMdns({ interface: address, bind: '0.0.0.0', reuseAddr: true, loopback: true })
    this.mdns = mdns
    mdns.on('error', (err: Error) => this.c.log.warn('LAN discovery: multicast DNS failed', { error: err.message }))
    mdns.on('warning', () => {})
    mdns.on('query', (q: any) => {
      if (q.questions.some((x: any) => x.name === LAN.service && (x.type === 'PTR' || x.type === 'ANY'))) this.respond()
    })
    mdns.on('response', (r: any) => this.onResponse(r))
    this.c.log.info('LAN discovery on', { address: `${address}:${port}` })
    this.query()
    this.respond() // unasked, so hosts already there learn of this one at once
    this.timer = setInterval(() => {
      this.query()
      this.probeReachable()
    }, this.init.queryIntervalMs ?? LAN.queryIntervalMs)
    this.timer.unref()
  }

  status(): LanStatus {
    return {
      address: this.address,
      port: this.node?.address()?.port ?? 0,
      isolated: this.isolated,
      reachable: this.reachable,
      peers: [...this.peers.values()]
    }
  }

  /** Ask the link again now (also done every queryIntervalMs). */
  query(): void {
    this.mdns?.query({ questions: [{ name: LAN.service, type: 'PTR' }] })
  }

  private respond(): void {
    const port = this.node?.address()?.port
    if (!this.mdns || !port) return
    const target = `${this.c.hostKey.slice(0, 32)}.local`
    this.mdns.respond({
      answers: [
        { name: LAN.service, type: 'PTR', ttl: LAN.ttlSeconds, data: this.instance },
        { name: this.instance, type: 'SRV', ttl: LAN.ttlSeconds, data: { port, target, priority: 0, weight: 0 } },
        { name: this.instance, type: 'TXT', ttl: LAN.ttlSeconds, data: [`key=${this.c.hostKey}`] },
        { name: target, type: 'A', ttl: LAN.ttlSeconds, data: this.address }
      ]
    })
  }

  /** Read PTR → SRV → A (+ TXT) out of one response; records from the network are checked before use. */
  private onResponse(r: any): void {
    const records = [...(r.answers ?? []), ...(r.additionals ?? [])]
    for (const ptr of records) {
      if (ptr.type !== 'PTR' || ptr.name !== LAN.service || typeof ptr.data !== 'string' || ptr.data === this.instance) continue
      const srv = records.find((x) => x.type === 'SRV' && x.name === ptr.data)
      const port = srv?.data?.port
      const a = records.find((x) => x.type === 'A' && x.name === srv?.data?.target)
      const host = a?.data
      const txt = records.find((x) => x.type === 'TXT' && x.name === ptr.data)
      const key =
        (Array.isArray(txt?.data) ? txt.data : [])
          .map((b: Buffer | string) => b.toString())
          .find((s: string) => s.startsWith('key='))
          ?.slice(4) ?? ''
      if (typeof host !== 'string' || !/^\d{1,3}(\.\d{1,3}){3}$/.test(host) || !Number.isInteger(port) || port < 1 || port > 65535) continue
      if (!/^[0-9a-f]{64}$/.test(key) || key === this.c.hostKey) continue
      this.addPeer(host, port, key)
    }
  }

  private addPeer(host: string, port: number, key: string): void {
    const id = `${host}:${port}`
    if (this.peers.has(id) || this.closing) return
    if (this.peers.size >= LAN.maxPeers) return
    const peer = { host, port, key, firstSeen: new Date().toISOString() }
    this.peers.set(id, peer)
    this.node?.addNode({ host, port })
    this.c.dht.addNode({ host, port })
    if (this.isolated) this.c.dht.bootstrapNodes.push({ host, port })
    this.c.log.info('LAN peer found', { address: id, host: key })
    this.emit('peer', peer)
    this.probeReachable()
  }

  /**
   * On an isolated link, have hyperdht check that the host's DHT node is reachable, and mark it
   * unfirewalled when it is. Why: an adaptive node stays firewalled for its first ~20 minutes, and
   * a firewalled server's connections go through hole punching, whose NAT analysis wants 3+
   * samples; two hosts' LAN nodes give 2, so the server's puncher gives up on its socket and a
   * dial that already reached it times out (measured in test/net/fleet.test.ts). An unfirewalled
   * server answers with its address and the client connects straight to it. The check is dht-rpc's
   * own (`_updateNetworkState(true)`: nodes it knows ping its server socket back, and the
   * address they saw must be the socket's own, i.e. no NAT between), which hyperdht otherwise
   * runs only while bootstrapping and after 20 stable minutes; private API of the pinned
   * dht-rpc, so a version without it leaves the node as it is. Only when isolated: on a LAN with
   * a route out, being reachable on the link says nothing about the internet.
   */
  private probeReachable(): void {
    const dht = this.c.dht as unknown as { firewalled: boolean; destroyed: boolean; _updateNetworkState?: (onlyFirewall: boolean) => Promise<boolean> }
    if (!this.isolated || this.peers.size === 0 || this.probing || this.closing || dht.destroyed) return
    if (!dht.firewalled) {
      this.reachable = true
      return
    }
    if (typeof dht._updateNetworkState !== 'function') return
    this.probing = dht
      ._updateNetworkState(true)
      .then(() => {
        this.reachable = !dht.firewalled
        if (this.reachable) this.c.log.info('LAN: this host is reachable on the link (DHT node unfirewalled)', { address: this.address })
      })
      .catch(() => {})
      .finally(() => (this.probing = null))
  }

  close(): Promise<void> {
    this.closing ??= this.shut()
    return this.closing
  }

  private async shut(): Promise<void> {
    await this.opening?.catch(() => {})
    await this.probing
    if (this.timer) clearInterval(this.timer)
    const mdns = this.mdns
    this.mdns = null
    if (mdns) await new Promise<void>((resolve) => mdns.destroy(() => resolve()))
    await this.node?.destroy()
  }
}

/** A free UDP port on `address` (the bootstrap mode wants its port before it binds). */
function freeUdpPort(address: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createSocket('udp4')
    s.once('error', reject)
    s.bind(0, address, () => {
      const { port } = s.address()
      s.close(() => resolve(port))
    })
  })
}
