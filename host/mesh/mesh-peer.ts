import c from 'compact-encoding'
import type { KeyPair, SecretStream } from 'hyperdht'
import Protomux from 'protomux'
import type { Channel, ProtomuxMessage } from 'protomux'
import { MESH } from '../constants.ts'
import { formatId } from '../encoding/ids.ts'
import { HypernetError } from '../errors.ts'
import { meshHello } from '../messages.ts'
import type { MeshHelloWire } from '../messages.ts'
import { background } from '../util/background.ts'
import { signHello, verifyHello } from './mesh-keys.ts'
import { MeshStream } from './mesh-stream.ts'

/**
 * One connection of the mesh swarm: the only one between this host and one other (hyperswarm
 * keeps one per peer key). On it, protomux channels:
 *   - `hypernet/mesh@1` (no id), one message: the hello (mesh-keys.ts), each way, first;
 *   - `hypernet/mesh-service@1` with the service hash as id, one message: bytes. One per
 *     (peer, service): a service's channel is opened by each side once that side has joined
 *     the service's mesh and found the other host's signed descriptor vouching for the hash,
 *     so it opens (both sides opened it) only when each has verified the other.
 * A peer whose descriptor does not list the hash yet (it is still publishing it) is checked
 * again with a doubling wait (MESH.verifyRetryMs), and at once when it opens its side.
 */

const HELLO_PROTOCOL = 'hypernet/mesh@1'
const SERVICE_PROTOCOL = 'hypernet/mesh-service@1'

export interface MeshPeerOwner {
  identity: KeyPair
  /** Is this hash joined here, and by whom: the member told of new peer streams. */
  member(hashHex: string): ((stream: MeshStream) => void) | null
  /** The hashes joined here (hex). */
  joinedHashes(): Iterable<string>
  vouches(hostKey: Buffer, hash: Buffer): Promise<boolean>
  warn(msg: string, fields?: Record<string, unknown>): void
}

interface ServiceState {
  channel: Channel | null
  stream: MeshStream | null
  /** The descriptor check in flight. */
  checking: Promise<void> | null
  retryMs: number
  retry: NodeJS.Timeout | null
}

export class MeshPeer {
  /** The peer's host key once its hello verified. */
  hostKey: Buffer | null = null
  private readonly mux: Protomux
  private readonly services = new Map<string, ServiceState>()
  private readonly pausedBy = new Set<MeshStream>()
  private closed = false

  constructor(
    readonly conn: SecretStream,
    private readonly owner: MeshPeerOwner
  ) {
    this.mux = Protomux.from(conn)
    const hello = this.mux.createChannel({ protocol: HELLO_PROTOCOL, onclose: () => this.close() })
    if (hello === null) throw HypernetError.INTERNAL('a mesh connection was set up twice')
    const msg = hello.addMessage<MeshHelloWire>({ encoding: meshHello, onmessage: (m) => this.onHello(m) })
    hello.open()
    msg.send(signHello(owner.identity, conn.publicKey))
    conn.on('error', () => {}) // 'close' follows; the streams on it report the failure
    conn.on('close', () => this.close())
  }

  /** This host joined `hashHex`: open its channel once the peer is verified for it. */
  joined(hashHex: string): void {
    if (this.closed) return
    this.mux.pair({ protocol: SERVICE_PROTOCOL, id: Buffer.from(hashHex, 'hex') }, () => this.check(hashHex, true))
    if (this.hostKey) background(this.check(hashHex, false))
  }

  /** This host left `hashHex`: the pair's channel ends (the plugin already forgot it). */
  left(hashHex: string): void {
    this.mux.unpair({ protocol: SERVICE_PROTOCOL, id: Buffer.from(hashHex, 'hex') })
    const s = this.services.get(hashHex)
    if (s === undefined) return
    this.services.delete(hashHex)
    if (s.retry) clearTimeout(s.retry)
    s.channel?.close()
  }

  /** The connection is gone: every channel's stream fails, timers stop. Idempotent. */
  close(): void {
    if (this.closed) return
    this.closed = true
    for (const s of this.services.values()) if (s.retry) clearTimeout(s.retry)
    this.services.clear()
    if (!this.conn.destroyed) this.conn.destroy()
  }

  private onHello(m: MeshHelloWire): void {
    if (this.hostKey) return
    if (!verifyHello(m, this.conn.remotePublicKey)) {
      this.owner.warn('a mesh peer sent a hello that does not verify; dropping it', { meshKey: formatId(this.conn.remotePublicKey) })
      this.conn.destroy(HypernetError.SIGNATURE_INVALID('the mesh hello does not verify against the host key it names'))
      return
    }
    this.hostKey = Buffer.from(m.host)
    for (const hashHex of this.owner.joinedHashes()) background(this.check(hashHex, false))
  }

  /**
   * Verify the peer for `hashHex` and open our side of its channel. `fresh`: the peer just opened
   * its side, and protomux rejects that open unless our channel exists when the returned promise
   * settles, so it settles only after the check (and the open) is done. Never rejects.
   */
  private check(hashHex: string, fresh: boolean): Promise<void> {
    if (this.closed || this.owner.member(hashHex) === null) return Promise.resolve()
    let s = this.services.get(hashHex)
    if (s === undefined) {
      s = { channel: null, stream: null, checking: null, retryMs: MESH.verifyRetryMs, retry: null }
      this.services.set(hashHex, s)
    }
    if (s.checking) return s.checking
    if (s.channel !== null || this.hostKey === null) return Promise.resolve()
    if (fresh && s.retry) {
      clearTimeout(s.retry)
      s.retry = null
    }
    if (s.retry) return Promise.resolve()
    const state = s
    const hostKey = this.hostKey
    const checking = this.owner.vouches(hostKey, Buffer.from(hashHex, 'hex')).then((ok) => {
      state.checking = null
      if (this.closed || this.services.get(hashHex) !== state) return
      if (ok) return this.open(hashHex, state)
      state.retry = setTimeout(() => {
        state.retry = null
        background(this.check(hashHex, false))
      }, state.retryMs)
      state.retry.unref()
      state.retryMs = Math.min(state.retryMs * 2, MESH.maxVerifyRetryMs)
    })
    state.checking = checking
    background(checking, (err) => {
      state.checking = null
      this.owner.warn('checking a mesh peer failed', { error: (err as Error)?.message })
    })
    return checking.catch(() => {})
  }

  private open(hashHex: string, s: ServiceState): void {
    let stream: MeshStream | null = null
    let msg: ProtomuxMessage<Uint8Array> | null = null
    const channel = this.mux.createChannel({
      protocol: SERVICE_PROTOCOL,
      id: Buffer.from(hashHex, 'hex'),
      onopen: () => {
        const member = this.owner.member(hashHex)
        if (member === null || this.closed) return channel?.close()
        stream = new MeshStream(this.hostKey!, { send: (d) => msg!.send(d), close: () => channel!.close() }, (p) => this.pause(stream!, p))
        s.stream = stream
        member(stream)
      },
      onclose: () => {
        if (this.services.get(hashHex) === s) {
          s.channel = null
          s.stream = null
        }
        // the whole connection went down (the peer did not leave the mesh): an error, not an end
        stream?.channelGone(this.closed || this.conn.destroyed ? HypernetError.CONNECTION_FAILED('the connection to the mesh peer was lost') : null)
        if (stream) this.pausedBy.delete(stream)
        // the peer left this mesh but not the connection: it may join again later
        if (!this.closed && this.services.get(hashHex) === s) s.retryMs = MESH.verifyRetryMs
      },
      ondrain: () => stream?.drained()
    })
    if (channel === null) return // already open (a race with the peer's open): nothing to do
    msg = channel.addMessage<Uint8Array>({ encoding: c.raw, onmessage: (d) => stream?.receive(d) })
    s.channel = channel
    channel.open()
  }

  private pause(stream: MeshStream, paused: boolean): void {
    if (paused) this.pausedBy.add(stream)
    else this.pausedBy.delete(stream)
    if (this.pausedBy.size > 0) this.conn.pause()
    else this.conn.resume()
  }
}
