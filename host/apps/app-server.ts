import type DHT from 'hyperdht'
import type { KeyPair, SecretStream } from 'hyperdht'
import Protomux from 'protomux'
import { Writable } from 'streamx'
import type { Channel, ProtomuxMessage } from 'protomux'
import { APPS_PROTOCOL, APPS_REFUSAL, SERVING } from '../constants.ts'
import { formatId } from '../encoding/ids.ts'
import type { Logger } from '../log/index.ts'
import type { Manifest } from '../manifest/index.ts'
import { listenServer } from '../net/index.ts'
import { appsCode, appsGetCode, appsGetManifest, appsManifest, appsRefused } from '../messages.ts'
import type { AppsCodeWire, AppsGetCodeWire, AppsGetManifestWire, AppsManifestWire, AppsRefusedWire } from '../messages.ts'
import type { ServingConfig } from './serving-store.ts'
import { TokenBucket } from '../util/token-bucket.ts'

/**
 * Serves the signed manifest and the code of the apps this host runs to other hosts, on the
 * host key, over a protomux channel named APPS_PROTOCOL. What it refuses, it refuses with a
 * reason from APPS_REFUSAL at once: an app it does not run, serving turned off by the operator
 * (for all apps or one), a manifest whose publisher forbids redistribution, a module over the
 * size limit, a bad range, and more fetches than the limits allow (per peer and in total). Bytes
 * leave at most SERVING.bytesPerSecond, all peers together; a slow reader holds back only its
 * own fetch (sends wait for the stream to drain). Malformed messages close that peer's stream.
 */

export interface ServedApp {
  name: string
  manifest: Manifest
  wasm: Buffer
}

export interface AppServerComponents {
  dht: DHT
  identity: KeyPair
  log: Logger
  /** The running app with this code hash (hex), if any. */
  app(codeHash: string): ServedApp | null
  /** The operator's switches; read per request so changes apply at once. @throws INTERNAL when unreadable */
  serving(): ServingConfig
  /** Peer keys (hex) the firewall denies. */
  denied(): ReadonlySet<string>
}

export type ServingLimits = { -readonly [K in keyof typeof SERVING]: number }

export interface ServingStatus {
  enabled: boolean
  off: string[]
  limits: ServingLimits
  fetchesInFlight: number
  bytesServed: number
  refused: Record<string, number>
}

interface Peer {
  connections: number
  inflight: number
}

const REASON_NAME = Object.fromEntries(Object.entries(APPS_REFUSAL).map(([k, v]) => [v, k])) as Record<number, string>

export class AppServer {
  readonly limits: ServingLimits
  private server: ReturnType<DHT['createServer']> | null = null
  private readonly peers = new Map<string, Peer>()
  private readonly streams = new Set<SecretStream>()
  private readonly bucket: TokenBucket
  private inflight = 0
  private bytesServed = 0
  private readonly refused: Record<string, number> = {}
  private opening: Promise<void> | null = null
  private closing: Promise<void> | null = null

  constructor(
    private readonly c: AppServerComponents,
    limits: Partial<ServingLimits> = {}
  ) {
    this.limits = { ...SERVING, ...limits }
    this.bucket = new TokenBucket(this.limits.bytesPerSecond)
  }

  /** Listen on the host key. */
  ready(): Promise<void> {
    this.opening ??= (async () => {
      this.server = this.c.dht.createServer({ firewall: (remote) => this.firewall(remote) }, (s) => this.onConnection(s))
      await listenServer(this.c.dht, this.server, this.c.identity, (err) => this.c.log.warn('app server: listen failed', { error: err.message }))
    })()
    return this.opening
  }

  /** Stop listening and close every serving stream; safe to call twice. */
  close(): Promise<void> {
    this.closing ??= (async () => {
      await this.opening?.catch(() => {})
      for (const s of this.streams) s.destroy()
      await this.server?.close()
    })()
    return this.closing
  }

  status(): ServingStatus {
    return { ...this.config(), limits: { ...this.limits }, fetchesInFlight: this.inflight, bytesServed: this.bytesServed, refused: { ...this.refused } }
  }

  /** The switches now; unreadable settings serve nothing (and say so in the log). */
  private config(): ServingConfig {
    try {
      return this.c.serving()
    } catch (err) {
      this.c.log.warn('serving settings unreadable; serving nothing', { error: (err as Error).message })
      return { enabled: false, off: [] }
    }
  }

  private firewall(remote: Buffer): boolean {
    const k = formatId(remote)
    // true refuses: a denied key, a peer already holding its share, or a host at its total
    return (
      this.c.denied().has(k) || (this.peers.get(k)?.connections ?? 0) >= this.limits.maxConnectionsPerPeer || this.streams.size >= this.limits.maxConnections
    )
  }

  private onConnection(stream: SecretStream): void {
    const key = formatId(stream.remotePublicKey)
    const peer = this.peers.get(key) ?? { connections: 0, inflight: 0 }
    this.peers.set(key, peer)
    peer.connections++
    this.streams.add(stream)
    let idle: NodeJS.Timeout | null = null
    const touch = () => {
      if (idle) clearTimeout(idle)
      idle = setTimeout(() => stream.destroy(), this.limits.requestTimeoutMs * 2)
    }
    touch()
    stream.on('error', () => {})
    stream.once('close', () => {
      if (idle) clearTimeout(idle)
      this.streams.delete(stream)
      if (--peer.connections === 0 && peer.inflight === 0) this.peers.delete(key)
    })

    // requests are cheap to send and answers are not: a peer that asks faster than this, or asks
    // for manifests while it does not read the answers, is cut off rather than queued for (a code
    // range is written whole, so a stream is backpressured during any fetch: ranges wait for drain)
    const requests = new TokenBucket(this.limits.requestsPerSecond)
    const admit = (manifest: boolean): boolean => {
      if (requests.take(1) > 0 || (manifest && Writable.isBackpressured(stream as any))) {
        this.count('abusive')
        stream.destroy()
        return false
      }
      touch()
      return true
    }
    const mux = Protomux.from(stream)
    const channel = mux.createChannel({ protocol: APPS_PROTOCOL, onclose: () => void stream.destroy() })
    if (!channel) return void stream.destroy()
    // the order of addMessage calls is the wire type (APPS_MESSAGES): append only
    const wire: Wire = {
      getManifest: channel.addMessage<AppsGetManifestWire>({
        encoding: appsGetManifest,
        onmessage: (m) => (admit(true) ? this.onGetManifest(wire, m) : undefined)
      }),
      manifest: channel.addMessage<AppsManifestWire>({ encoding: appsManifest, onmessage: () => void stream.destroy() }),
      getCode: channel.addMessage<AppsGetCodeWire>({
        encoding: appsGetCode,
        onmessage: (m) => (admit(false) ? this.onGetCode(wire, channel, stream, key, peer, m, touch) : undefined)
      }),
      code: channel.addMessage<AppsCodeWire>({ encoding: appsCode, onmessage: () => void stream.destroy() }),
      refused: channel.addMessage<AppsRefusedWire>({ encoding: appsRefused, onmessage: () => void stream.destroy() })
    }
    channel.open()
  }

  /** The app to serve for `codeHash`, or the refusal. */
  private servable(codeHash: Uint8Array): ServedApp | { reason: number; message: string } {
    const hash = formatId(codeHash)
    const app = this.c.app(hash)
    if (!app) return { reason: APPS_REFUSAL.NOT_SERVED, message: `this host does not run ${hash}` }
    const cfg = this.config()
    if (!cfg.enabled) return { reason: APPS_REFUSAL.SERVING_DISABLED, message: 'the operator of this host does not serve apps' }
    if (cfg.off.includes(app.name)) return { reason: APPS_REFUSAL.SERVING_DISABLED, message: `the operator of this host does not serve ${app.name}` }
    if (app.manifest.redistribute === false)
      return { reason: APPS_REFUSAL.NOT_REDISTRIBUTABLE, message: `the publisher of ${app.name} does not allow other hosts to serve it` }
    if (app.wasm.byteLength > this.limits.maxModuleBytes)
      return {
        reason: APPS_REFUSAL.SERVING_TOO_LARGE,
        message: `${app.name} is ${app.wasm.byteLength} bytes; this host serves modules up to ${this.limits.maxModuleBytes}`
      }
    return app
  }

  private refuse(wire: { refused: ProtomuxMessage<AppsRefusedWire> }, id: number, r: { reason: number; message: string }): void {
    this.count(REASON_NAME[r.reason] ?? String(r.reason))
    wire.refused.send({ id, reason: r.reason, message: r.message })
  }

  private count(why: string): void {
    this.refused[why] = (this.refused[why] ?? 0) + 1
  }

  private onGetManifest(wire: Wire, m: AppsGetManifestWire): void {
    const app = this.servable(m.codeHash)
    if ('reason' in app) return this.refuse(wire, m.id, app)
    wire.manifest.send({ id: m.id, size: app.wasm.byteLength, manifest: Buffer.from(JSON.stringify(app.manifest)) })
  }

  private async onGetCode(wire: Wire, channel: Channel, stream: SecretStream, key: string, peer: Peer, m: AppsGetCodeWire, touch: () => void): Promise<void> {
    if (peer.inflight >= this.limits.maxFetchesPerPeer || this.inflight >= this.limits.maxFetches) {
      const which = peer.inflight >= this.limits.maxFetchesPerPeer ? `${this.limits.maxFetchesPerPeer} per peer` : `${this.limits.maxFetches} in total`
      return this.refuse(wire, m.id, {
        reason: APPS_REFUSAL.SERVING_BUSY,
        message: `this host serves at most ${which} fetches at once; try again or another vendor`
      })
    }
    // the slot is taken before anything awaits, so requests that arrive together are counted
    peer.inflight++
    this.inflight++
    try {
      const app = this.servable(m.codeHash)
      if ('reason' in app) return this.refuse(wire, m.id, app)
      const size = app.wasm.byteLength
      if (m.length === 0 || m.length > this.limits.maxRangeBytes || m.offset + m.length > size) {
        return this.refuse(wire, m.id, {
          reason: APPS_REFUSAL.BAD_REQUEST,
          message: `range ${m.offset}+${m.length} is outside the ${size}-byte module or longer than ${this.limits.maxRangeBytes}`
        })
      }
      // a range (at most maxRangeBytes) is written without waiting for the stream to drain, so
      // one fetch buffers at most one range; the next range waits until the last one drained
      // a reader that takes longer than requestTimeoutMs to drain one range holds a fetch slot: cut it
      if (Writable.isBackpressured(stream as any)) {
        let timer: NodeJS.Timeout | null = null
        const late = new Promise<'late'>((resolve) => (timer = setTimeout(() => resolve('late'), this.limits.requestTimeoutMs)))
        const how = await Promise.race([Writable.drained(stream as any), late])
        clearTimeout(timer!)
        if (how === 'late') {
          this.count('slowReader')
          stream.destroy()
          return
        }
      }
      for (let at = m.offset; at < m.offset + m.length && !channel.closed;) {
        const n = Math.min(this.limits.chunkBytes, m.offset + m.length - at)
        const wait = this.bucket.take(n)
        if (wait > 0) await new Promise((r) => setTimeout(r, wait))
        if (channel.closed) break
        wire.code.send({ id: m.id, offset: at, data: app.wasm.subarray(at, at + n) })
        at += n
        this.bytesServed += n
        touch()
      }
    } finally {
      peer.inflight--
      this.inflight--
      if (peer.connections === 0 && peer.inflight === 0) this.peers.delete(key)
    }
  }
}

type Wire = {
  getManifest: ProtomuxMessage<AppsGetManifestWire>
  getCode: ProtomuxMessage<AppsGetCodeWire>
  manifest: ProtomuxMessage<AppsManifestWire>
  code: ProtomuxMessage<AppsCodeWire>
  refused: ProtomuxMessage<AppsRefusedWire>
}
