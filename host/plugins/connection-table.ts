import { CLOSE_REASON } from '../abi.ts'
import { LIMITS } from '../constants.ts'
import { HypernetError } from '../errors.ts'
import { LineBudget } from './line-budget.ts'
import type { OpSink } from './outbox.ts'
import { RUNTIME_LIMITS } from './plugin-limits.ts'
import { FROM_WORKER, TO_WORKER } from './protocol.ts'
import type { DialTargetWire, MeshTargetWire } from './protocol.ts'
import { StreamLink } from './stream-link.ts'
import type { LinkOwner } from './stream-link.ts'
import type { AppRef, DialFn, DuplexLike, LogLevel, MeshFn, MeshHandle, RuntimeLogEntry } from './types.ts'
import { RateBucket } from './rate-bucket.ts'

/**
 * The connections of one plugin incarnation, on the host thread: numbers inbound streams (odd
 * ids; the worker numbers outbound ones even), routes the worker's ops to them, runs the
 * plugin's dials through the `dial` component, and keeps the per-plugin inbound window.
 * When the incarnation dies, every stream is destroyed with its error (`destroyAll`), and its
 * pending dials are aborted (lookups and connects given up, streams destroyed) however it ended.
 * Inbound bytes are held to the plugin's `bytesInPerSecond`: over it, every stream of the
 * plugin pauses until the rate allows again.
 */

export interface ConnectionTableOptions {
  app: AppRef
  out: OpSink
  /**
   * The worker's ACKs arrive unannounced (they only matter while a stream is held for its
   * window): `want` asks to be woken for each while one is held, `poll` reads them now.
   */
  acks?: { want(yes: boolean): void; poll(): void }
  dial: DialFn | undefined
  /** Joins meshes for hn_mesh_join. Without one, a joined mesh never has peers. */
  mesh?: MeshFn
  counters: { bytesIn: number; bytesOut: number }
  log: (level: LogLevel, kind: RuntimeLogEntry['kind'], msg: string) => void
  /** The worker dropped this many of the plugin's log lines. */
  dropped?: (n: number) => void
  /** Bytes per second the plugin's peers may send it (default: unlimited). */
  bytesInPerSecond?: number
}

const LEVELS: LogLevel[] = ['debug', 'info', 'warn', 'error']
/** A plugin dialing ever new targets must not grow the host's memory: past this, forget them all. */
const MAX_DIAL_FAILURES_REMEMBERED = 256

export class ConnectionTable implements LinkOwner {
  readonly out: OpSink
  counters: { bytesIn: number; bytesOut: number }
  private readonly links = new Map<number, StreamLink>()
  private readonly dials = new Map<number, { cancelled: boolean; abort: AbortController }>()
  /** Joined meshes by the worker's mesh id. */
  private readonly meshes = new Map<number, MeshHandle>()
  private readonly inRate: RateBucket | null
  private rateTimer: NodeJS.Timeout | null = null
  private readonly held = new Set<StreamLink>()
  private inflightIn = 0
  private nextInbound = 1
  /** Connections and dials ever opened (the on-demand idle watch reads it as activity). */
  opened = 0
  private dead = false
  private readonly eventErrors = new LineBudget(RUNTIME_LIMITS.logLinesPerSecond)
  /** Dial failures already logged at info, by target and error code: a plugin retrying logs each once. */
  private readonly dialFailures = new Set<string>()

  constructor(private readonly opts: ConnectionTableOptions) {
    this.out = opts.out
    this.counters = opts.counters
    this.inRate = opts.bytesInPerSecond ? new RateBucket(opts.bytesInPerSecond) : null
  }

  get size(): number {
    return this.links.size + this.dials.size
  }

  /** An inbound stream on `service` (already checked to be declared). */
  accept(service: string, stream: DuplexLike): void {
    if (this.size >= LIMITS.maxConnectionsPerPlugin) {
      stream.on('error', () => {})
      stream.destroy(HypernetError.PERMISSION_DENIED(this.opts.app.name, `more than ${LIMITS.maxConnectionsPerPlugin} connections`))
      return
    }
    const id = this.nextInbound
    this.nextInbound += 2
    this.open(id, TO_WORKER.OPEN_INBOUND, stream, service)
  }

  onOp(op: number, conn: number, arg: unknown): void {
    switch (op) {
      case FROM_WORKER.SEND: this.links.get(conn)?.send(arg as Uint8Array); break
      case FROM_WORKER.ACK: this.ack(conn, arg as number); break
      case FROM_WORKER.FIN: this.links.get(conn)?.fin(); break
      case FROM_WORKER.END: {
        const dial = this.dials.get(conn)
        if (dial) {
          dial.cancelled = true
          dial.abort.abort()
        } else this.links.get(conn)?.end()
        break
      }
      case FROM_WORKER.PAUSE: {
        const link = this.links.get(conn)
        if (link) {
          link.pluginPaused = arg === 1
          link.setPaused()
        }
        break
      }
      case FROM_WORKER.CONNECT: this.connect(conn, arg as DialTargetWire); break
      case FROM_WORKER.MESH_JOIN: this.joinMesh(conn, arg as MeshTargetWire); break
      case FROM_WORKER.MESH_LEAVE: {
        this.meshes.get(conn)?.leave()
        this.meshes.delete(conn)
        break
      }
      case FROM_WORKER.LOG: this.opts.log(LEVELS[conn] ?? 'info', 'plugin', arg as string); break
      case FROM_WORKER.DROPPED: this.opts.dropped?.(conn); break
      case FROM_WORKER.DENIED: this.opts.log('warn', 'denied', `denied: ${arg as string} is not granted by its manifest`); break
      case FROM_WORKER.EVENT_ERROR:
        if (this.eventErrors.take((n) => this.opts.log('warn', 'plugin', `${n} more non-zero event returns not logged`))) {
          this.opts.log('warn', 'plugin', `${arg as string} returned ${conn}`)
        }
        break
    }
  }

  inbound(link: StreamLink, bytes: number): void {
    this.inflightIn += bytes
    if (this.inRate) {
      this.inRate.force(bytes)
      if (!this.inRate.available && this.rateTimer === null) this.holdForRate()
    }
    if (!this.overWindow(link)) return
    // the acks that would make room may be waiting unread: ask for them, then read them
    this.opts.acks?.want(true)
    this.opts.acks?.poll()
    if (this.links.get(link.id) !== link) return // gone while they were read
    if (this.overWindow(link)) {
      link.windowPaused = true
      this.held.add(link)
      link.setPaused()
    } else if (this.held.size === 0) this.opts.acks?.want(false)
  }

  forget(link: StreamLink): void {
    this.links.delete(link.id)
    if (this.held.delete(link) && this.held.size === 0) this.opts.acks?.want(false)
    this.inflightIn -= link.inflightIn
  }

  private overWindow(link: StreamLink): boolean {
    return link.inflightIn >= RUNTIME_LIMITS.connInboundBytes || this.inflightIn >= RUNTIME_LIMITS.pluginInboundBytes
  }

  /** The incarnation crashed: every peer sees its stream fail with `err`; pending dials are aborted, meshes left. */
  destroyAll(err: Error): void {
    this.dead = true
    this.leaveMeshes()
    for (const link of this.links.values()) link.destroy(err)
    this.links.clear()
    this.held.clear()
    this.abortDials()
  }

  /** The incarnation stopped cleanly: end what is still open; pending dials are aborted, meshes left. */
  shutdownAll(): void {
    this.dead = true
    this.leaveMeshes()
    for (const link of this.links.values()) link.shutdown()
    this.links.clear()
    this.held.clear()
    this.abortDials()
  }

  /** The plugin is being stopped: give up every pending dial now, leave its meshes, and start no more. */
  abortPending(): void {
    this.dead = true
    this.leaveMeshes()
    for (const d of this.dials.values()) {
      d.cancelled = true
      d.abort.abort()
    }
  }

  private leaveMeshes(): void {
    for (const m of this.meshes.values()) m.leave()
    this.meshes.clear()
  }

  /** hn_mesh_join: each peer host's stream opens as a connection of kind MESH named by the target. */
  private joinMesh(id: number, wire: MeshTargetWire): void {
    const { mesh, app } = this.opts
    if (this.dead) return
    if (mesh === undefined) {
      this.opts.log('warn', 'host', `hn_mesh_join "${wire.raw}": this host runs no mesh swarm; the plugin will meet no peers`)
      return
    }
    const target = { raw: wire.raw, serviceHash: Buffer.from(wire.serviceHash, 'hex') }
    try {
      this.meshes.set(id, mesh(target, app, (stream) => this.acceptMesh(wire.raw, stream)))
    } catch (err) {
      this.opts.log('warn', 'host', `hn_mesh_join "${wire.raw}" failed: ${(err as Error)?.message ?? err}`)
    }
  }

  private acceptMesh(raw: string, stream: DuplexLike): void {
    if (this.dead || this.size >= LIMITS.maxConnectionsPerPlugin) {
      stream.on('error', () => {})
      stream.destroy(this.dead ? HypernetError.PLUGIN_CLOSED(this.opts.app.name) : HypernetError.PERMISSION_DENIED(this.opts.app.name, `more than ${LIMITS.maxConnectionsPerPlugin} connections`))
      return
    }
    const id = this.nextInbound
    this.nextInbound += 2
    this.open(id, TO_WORKER.OPEN_MESH, stream, raw)
  }

  private abortDials(): void {
    if (this.rateTimer) clearTimeout(this.rateTimer)
    this.rateTimer = null
    for (const d of this.dials.values()) {
      d.cancelled = true
      d.abort.abort()
    }
    this.dials.clear()
  }

  /** Over bytesInPerSecond: pause every stream until the bucket has tokens again. */
  private holdForRate(): void {
    for (const link of this.links.values()) {
      link.ratePaused = true
      link.setPaused()
    }
    this.rateTimer = setTimeout(() => {
      this.rateTimer = null
      if (this.dead) return
      if (!this.inRate!.available) return this.holdForRate()
      for (const link of this.links.values()) {
        link.ratePaused = false
        link.setPaused()
      }
    }, this.inRate!.waitMs())
    this.rateTimer.unref()
  }

  private open(id: number, op: number, stream: DuplexLike, service: string): void {
    const link = new StreamLink(id, stream, this)
    this.links.set(id, link)
    this.opened++
    this.out.pushBytes(op, id, openPayload(stream.remotePublicKey, service)) // before attach(): OPEN precedes any DATA
    link.attach()
    if (this.rateTimer !== null) {
      link.ratePaused = true
      link.setPaused()
    }
  }

  private ack(conn: number, bytes: number): void {
    const link = this.links.get(conn)
    if (link === undefined) return
    link.ack(bytes)
    this.inflightIn -= bytes
    if (this.held.size === 0 || this.inflightIn >= RUNTIME_LIMITS.pluginInboundBytes) return
    for (const l of this.held) {
      if (l.inflightIn >= RUNTIME_LIMITS.connInboundBytes) continue
      this.held.delete(l)
      l.windowPaused = false
      l.setPaused()
    }
    if (this.held.size === 0) this.opts.acks?.want(false)
  }

  private connect(conn: number, wire: DialTargetWire): void {
    const { dial, app } = this.opts
    if (this.dead) return // stopping: the worker's shutdown closes this id
    if (dial === undefined) {
      this.opts.log('warn', 'host', `hn_connect to "${wire.raw}" refused: this host has no dialer`)
      this.out.push(TO_WORKER.CLOSE, conn, CLOSE_REASON.REFUSED)
      return
    }
    const pending = { cancelled: false, abort: new AbortController() }
    this.dials.set(conn, pending)
    this.opened++
    const target = { raw: wire.raw, serviceHash: Buffer.from(wire.serviceHash, 'hex'), serviceKey: wire.serviceKey ? Buffer.from(wire.serviceKey, 'hex') : null, self: wire.self }
    Promise.resolve()
      .then(() => dial(target, app, pending.abort.signal))
      .then(
        (stream) => {
          this.dials.delete(conn)
          for (const k of this.dialFailures) if (k.startsWith(`${wire.raw}\n`)) this.dialFailures.delete(k)
          if (this.dead || pending.cancelled) {
            stream.on('error', () => {})
            stream.destroy()
          }
          if (this.dead) return
          if (pending.cancelled) {
            this.out.push(TO_WORKER.CLOSE, conn, CLOSE_REASON.END)
            return
          }
          this.open(conn, TO_WORKER.OPEN_OUTBOUND, stream, wire.self ?? wire.raw)
        },
        (err) => {
          this.dials.delete(conn)
          if (this.dead) return
          if (pending.cancelled) return this.out.push(TO_WORKER.CLOSE, conn, CLOSE_REASON.END)
          // a plugin that retries a dial in a loop (every few seconds) would flood the log
          const key = `${wire.raw}\n${(err as { code?: string })?.code ?? (err as Error)?.message}`
          const again = this.dialFailures.has(key)
          if (this.dialFailures.size >= MAX_DIAL_FAILURES_REMEMBERED) this.dialFailures.clear()
          this.dialFailures.add(key)
          const msg = `hn_connect to "${wire.raw}" failed: ${(err as Error)?.message ?? err}`
          this.opts.log(again ? 'debug' : 'info', 'host', again ? msg : `${msg} (repeats are logged at debug level until it succeeds)`)
          this.out.push(TO_WORKER.CLOSE, conn, CLOSE_REASON.REFUSED)
        }
      )
      .catch((err) => this.opts.log('error', 'host', `dial bookkeeping failed: ${(err as Error)?.message ?? err}`))
  }
}

/** The hn_on_open buffer: the peer's 32-byte key (zeros when unknown), then the service name. */
function openPayload(key: Uint8Array | null | undefined, service: string): Uint8Array {
  const name = Buffer.from(service, 'utf8')
  const bytes = new Uint8Array(32 + name.byteLength)
  if (key && key.byteLength === 32) bytes.set(key, 0)
  bytes.set(name, 32)
  return bytes
}
