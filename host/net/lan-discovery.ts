import { createSocket } from 'node:dgram'
import { EventEmitter } from 'node:events'
import makeMdns from 'multicast-dns'
import type { MulticastDNS } from 'multicast-dns'
import DHT from 'hyperdht'
import { LAN } from '../constants.ts'
import { HypernetError } from '../errors.ts'
import type { Logger } from '../log/index.ts'
import { firstLanAddress, isLocalAddress } from './interfaces.ts'
import { lanAnswers, readAdverts } from './lan-records.ts'

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
 * reach the hosts on the link with or without a bootstrap node or the internet. When the host's
 * address changes (dht-rpc's `network-change`), the LAN node and mDNS move to the new one.
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
  private moving: Promise<void> | null = null

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
    // no DHT node answered (an isolated link): stop asking the unreachable bootstrap nodes in
    // every query (each waits for their timeouts: measured 12 s an announce); the LAN is the network
    this.isolated = this.c.dht.toArray().length === 0
    if (this.isolated) this.c.dht.bootstrapNodes = []
    await this.serve(address)
    this.c.log.info('LAN discovery on', { address: `${address}:${this.node?.address()?.port}` })
    this.c.dht.on('network-change', this.onNetworkChange)
    this.timer = setInterval(() => {
      this.query()
      this.probeReachable()
    }, this.init.queryIntervalMs ?? LAN.queryIntervalMs)
    this.timer.unref()
  }

  /** Run the LAN node and mDNS on `address`, and tell the link. */
  private async serve(address: string): Promise<void> {
    this.address = address
    const port = await freeUdpPort(address)
    const node = DHT.bootstrapper(port, address, { host: address, bootstrap: [] })
    this.node = node
    await node.ready()
    for (const p of this.peers.values()) node.addNode({ host: p.host, port: p.port })
    if (this.isolated) this.c.dht.bootstrapNodes.push({ host: address, port })
    this.c.dht.addNode({ host: address, port })
    const mdns = makeMdns({ interface: address, bind: '0.0.0.0', reuseAddr: true, loopback: true })
    this.mdns = mdns
    mdns.on('error', (err: Error) => this.c.log.warn('LAN discovery: multicast DNS failed', { error: err.message }))
    mdns.on('warning', () => {})
    mdns.on('query', (q: any) => {
      if (q.questions.some((x: any) => x.name === LAN.service && (x.type === 'PTR' || x.type === 'ANY'))) this.respond()
    })
    mdns.on('response', (r: any) => {
      for (const ad of readAdverts(r, this.instance)) if (ad.key !== this.c.hostKey) this.addPeer(ad.host, ad.port, ad.key)
    })
    this.query()
    this.respond() // unasked, so hosts already there learn of this one at once
  }

  private readonly onNetworkChange = (): void => {
    this.moving ??= this.follow()
      .catch((err) => this.c.log.warn('LAN discovery: could not move to the new address', { error: (err as Error).message }))
      .finally(() => (this.moving = null))
  }

  /**
   * The LAN address went away (a new network, a new DHCP lease): its sockets are dead, so serve
   * on the machine's address now. Hosts on the link learn the new LAN node from the unasked answer.
   */
  private async follow(): Promise<void> {
    if (this.closing || isLocalAddress(this.address)) return
    const next = this.init.address ?? firstLanAddress()
    if (!next || !isLocalAddress(next)) return // none yet: the next change tries again
    const old = { host: this.address, port: this.node?.address()?.port ?? 0 }
    await this.stopServing()
    this.forgetBootstrap(old.host, old.port)
    if (this.closing) return
    await this.serve(next)
    this.reachable = false
    this.probeReachable()
    this.c.log.info('LAN discovery moved to a new address', { from: `${old.host}:${old.port}`, to: `${next}:${this.node?.address()?.port}` })
  }

  /** Drop a LAN node (moved or gone) from the DHT node's bootstrap list. */
  private forgetBootstrap(host: string, port: number): void {
    this.c.dht.bootstrapNodes = this.c.dht.bootstrapNodes.filter((n) => n.host !== host || n.port !== port)
  }

  private async stopServing(): Promise<void> {
    const mdns = this.mdns
    this.mdns = null
    if (mdns) await new Promise<void>((resolve) => mdns.destroy(() => resolve()))
    const node = this.node
    this.node = null
    await node?.destroy()
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
    this.mdns.respond({ answers: lanAnswers(this.instance, this.c.hostKey, this.address, port) as any })
  }

  private addPeer(host: string, port: number, key: string): void {
    const id = `${host}:${port}`
    if (this.peers.has(id) || this.closing) return
    // a host that moved: its old LAN node is gone with its old address
    for (const [oldId, p] of this.peers) {
      if (p.key !== key) continue
      this.peers.delete(oldId)
      this.forgetBootstrap(p.host, p.port)
    }
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
    this.c.dht.removeListener('network-change', this.onNetworkChange)
    await this.moving
    await this.probing
    if (this.timer) clearInterval(this.timer)
    await this.stopServing()
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
