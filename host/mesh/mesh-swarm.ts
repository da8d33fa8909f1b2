import type DHT from 'hyperdht'
import type { KeyPair, SecretStream } from 'hyperdht'
import Hyperswarm from 'hyperswarm'
import { MESH } from '../constants.ts'
import { formatId } from '../encoding/ids.ts'
import { HypernetError } from '../errors.ts'
import type { Logger } from '../log/index.ts'
import { background } from '../util/background.ts'
import { meshKeyPair, meshTopic } from './mesh-keys.ts'
import { MeshPeer } from './mesh-peer.ts'
import type { MeshStream } from './mesh-stream.ts'

/**
 * A host's mesh swarm: a Hyperswarm of its own, on a DHT node of its own (started on the
 * first join, so a host whose apps join no mesh runs none), keyed by the mesh key pair derived
 * from the host's identity. Joining a service's mesh joins its topic (mesh-keys.ts); hyperswarm
 * finds the other hosts on it, keeps one connection per host pair (deduplicated by key,
 * simultaneous connects resolved), and reconnects after failures with its own backoff. On each
 * connection (mesh-peer.ts) the peer proves its host key, and each service's channel opens only
 * between hosts whose signed descriptors vouch for the service hash: the verification lookups
 * make. The member of a mesh (a plugin, through the runtime) gets one stream per peer host.
 */

export interface MeshSwarmComponents {
  identity: KeyPair
  log: Logger
  /** The swarm's DHT node; called once, on the first join. */
  createDht(): DHT
  /** Whether `hostKey`'s signed descriptor vouches for `hash` (dns/lookup.ts vouchesFor). */
  vouches(hostKey: Buffer, hash: Buffer): Promise<boolean>
}

export interface MeshMembership {
  /** Leave the mesh: every peer stream of it ends. Idempotent. */
  leave(): void
}

export class MeshSwarm {
  private swarm: Hyperswarm | null = null
  private readonly members = new Map<string, (stream: MeshStream) => void>()
  private readonly peers = new Set<MeshPeer>()
  private readonly memberships = new Set<MeshMembership>()
  private readonly keyPair: KeyPair
  private closing: Promise<void> | null = null

  constructor(private readonly c: MeshSwarmComponents) {
    this.keyPair = meshKeyPair(c.identity.secretKey)
  }

  /** Nothing to wait for: the swarm starts on the first join. Idempotent. */
  ready(): Promise<void> {
    return Promise.resolve()
  }

  /** The mesh swarm's public key (hex). */
  get publicKey(): string {
    return formatId(this.keyPair.publicKey)
  }

  /** Peer hosts connected (verified or not yet), and meshes joined. */
  stats(): { peers: number; verified: number; meshes: number } {
    return { peers: this.peers.size, verified: [...this.peers].filter((p) => p.hostKey !== null).length, meshes: this.members.size }
  }

  /**
   * Join the mesh of `serviceHash`; `onPeer` gets one stream per verified peer host, as each
   * connects (and again after it reconnects).
   * @throws USAGE when the mesh is already joined on this host (by another app) or the swarm is closed
   */
  join(serviceHash: Buffer, onPeer: (stream: MeshStream) => void): MeshMembership {
    if (this.closing) throw HypernetError.USAGE('the mesh swarm is closed')
    const hex = formatId(serviceHash)
    if (this.members.has(hex)) throw HypernetError.USAGE(`the mesh of ${hex} is already joined on this host`)
    this.members.set(hex, onPeer)
    const swarm = this.start()
    const topic = meshTopic(serviceHash)
    const discovery = swarm.join(topic, { server: true, client: true })
    for (const p of this.peers) p.joined(hex)
    let left = false
    let settle: NodeJS.Timeout | null = null
    const refresh = (): void => {
      if (!left && !this.closing) background(discovery.refresh(), (err) => this.c.log.debug('a mesh topic refresh failed', { error: (err as Error)?.message }))
    }
    const periodic = setInterval(refresh, MESH.refreshMs)
    periodic.unref()
    background(
      discovery.flushed().then(() => {
        if (left || this.closing) return
        settle = setTimeout(refresh, MESH.settleRefreshMs * (1 + Math.random()))
        settle.unref()
      }),
      (err) => this.c.log.debug('a mesh topic announce failed', { error: (err as Error)?.message })
    )
    const membership: MeshMembership = {
      leave: () => {
        if (left) return
        left = true
        this.memberships.delete(membership)
        if (settle) clearTimeout(settle)
        clearInterval(periodic)
        if (this.members.get(hex) === onPeer) this.members.delete(hex)
        for (const p of this.peers) p.left(hex)
        if (!this.closing) background(swarm.leave(topic), (err) => this.c.log.warn('leaving a mesh topic failed', { error: (err as Error)?.message }))
      }
    }
    this.memberships.add(membership)
    return membership
  }

  /** Leave every mesh and stop the swarm and its DHT node. Idempotent. */
  close(): Promise<void> {
    this.closing ??= (async () => {
      for (const m of [...this.memberships]) m.leave() // timers stop; the swarm's destroy unannounces
      this.members.clear()
      for (const p of this.peers) p.close()
      this.peers.clear()
      await this.swarm?.destroy()
    })()
    return this.closing
  }

  private start(): Hyperswarm {
    if (this.swarm) return this.swarm
    const swarm = new Hyperswarm({ keyPair: this.keyPair, dht: this.c.createDht(), maxPeers: MESH.maxPeers })
    swarm.on('connection', (conn: SecretStream) => this.onConnection(conn))
    this.swarm = swarm
    return swarm
  }

  private onConnection(conn: SecretStream): void {
    if (this.closing) return void conn.destroy()
    const peer = new MeshPeer(conn, {
      identity: this.c.identity,
      member: (hex) => this.members.get(hex) ?? null,
      joinedHashes: () => this.members.keys(),
      vouches: (k, h) => this.c.vouches(k, h),
      warn: (msg, fields) => this.c.log.warn(msg, fields)
    })
    this.peers.add(peer)
    conn.once('close', () => this.peers.delete(peer))
    for (const hex of this.members.keys()) peer.joined(hex)
  }
}

/** Create a mesh swarm (libp2p's factory shape); call close() when done. */
export function createMeshSwarm(components: MeshSwarmComponents): MeshSwarm {
  return new MeshSwarm(components)
}
