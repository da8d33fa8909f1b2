import { CLOSE_REASON, RC } from '../../abi.ts'
import { LIMITS } from '../../constants.ts'
import { RUNTIME_LIMITS } from '../plugin-limits.ts'
import { FROM_WORKER } from '../protocol.ts'
import type { DialTargetWire } from '../protocol.ts'
import type { Outbox } from '../outbox.ts'
import type { Guest } from './guest.ts'
import type { PluginQuotas } from '../plugin-limits.ts'
import { RateBucket } from '../rate-bucket.ts'

/**
 * The plugin's connections as the worker sees them. Two windows keep host memory bounded:
 *   - outbound: bytes a connection's hn_send accepted that the host thread has not yet seen
 *     the stream take (CREDIT); at LIMITS.sendHighWaterBytes hn_send returns EAGAIN and the
 *     connection gets hn_on_drain once it is below again;
 *   - inbound: bytes delivered to the plugin are ACKed, which lets the host thread read more.
 * While the plugin has paused a connection, its data (and a clean close) wait in a queue
 * that the inbound window bounds. Nothing here calls into the plugin from inside a host
 * function: host functions only record; `pump()` delivers once the current call returned.
 *
 * The plugin's quotas (PLUGIN_QUOTAS) are kept here, where hn_connect and hn_send are answered,
 * so a plugin over one learns it at once from the return code: hn_connect gives ELIMIT at
 * `connections` outbound connections and EAGAIN at `dialsInFlight` pending dials or past
 * `dialsPerSecond`; hn_send gives EAGAIN past `bytesOutPerSecond` (hn_on_drain follows once
 * the rate allows: `wake` asks the worker to pump again after that many ms).
 */

interface WConn {
  id: number
  /** connecting: hn_connect pending; closing: the plugin called hn_close. */
  state: 'connecting' | 'open' | 'closing'
  /** Opened by hn_connect (counts against the connections quota until finished). */
  outbound: boolean
  /** Its dial has not completed yet (counts against dialsInFlight), whatever the plugin did since. */
  dialing: boolean
  inflight: number
  paused: boolean
  /** Data and finally a clean close (a number) waiting while paused. */
  queue: Array<Uint8Array | number>
}

export class WorkerConns {
  private readonly conns = new Map<number, WConn>()
  private readonly drainWaiters = new Set<WConn>()
  private readonly ready = new Set<WConn>()
  private inflight = 0
  private nextOutbound = 2 // outbound ids are even; the host thread numbers inbound ones odd
  private outbound = 0
  private dialing = 0
  private readonly dialRate: RateBucket
  private readonly sendRate: RateBucket
  private wakeAt = 0

  constructor(private readonly guest: () => Guest, private readonly out: Outbox, private readonly quotas: PluginQuotas, private readonly wake: (ms: number) => void) {
    this.dialRate = new RateBucket(quotas.dialsPerSecond)
    this.sendRate = new RateBucket(quotas.bytesOutPerSecond)
  }

  get size(): number {
    return this.conns.size
  }

  /** True while a connection was told EAGAIN and waits for hn_on_drain. */
  get starved(): boolean {
    return this.drainWaiters.size > 0
  }

  // ---- from the host thread ----

  opened(conn: number, kind: number, payload: Uint8Array): void {
    let c = this.conns.get(conn)
    if (c === undefined) {
      c = { id: conn, state: 'open', outbound: false, dialing: false, inflight: 0, paused: false, queue: [] }
      this.conns.set(conn, c)
    } else if (c.state === 'connecting') {
      c.state = 'open'
      this.dialDone(c)
    } else return // the plugin closed it while it was connecting: it will only see the close
    this.event(c, this.guest().open(conn, kind, payload), 'hn_on_open')
  }

  data(conn: number, buf: Uint8Array): void {
    const c = this.conns.get(conn)
    if (c === undefined || c.state === 'closing') return this.ack(conn, buf.byteLength)
    // `buf` is a view into the ring, gone after this call: what waits gets a copy (set(), not
    // slice(): slicing shared memory goes element by element)
    if (c.paused || c.queue.length > 0) c.queue.push(copyOf(buf))
    else this.deliver(c, buf)
  }

  closed(conn: number, reason: number): void {
    const c = this.conns.get(conn)
    if (c === undefined) return this.out.push(FROM_WORKER.FIN, conn, 0)
    // a clean end waits behind the data the paused plugin has not read; a failure does not
    if (reason === CLOSE_REASON.END && (c.paused || c.queue.length > 0)) c.queue.push(reason)
    else this.finish(c, reason)
  }

  credit(conn: number, bytes: number): void {
    const c = this.conns.get(conn)
    if (c === undefined) return // finished: its remaining bytes already left the plugin's total
    c.inflight -= bytes
    this.inflight -= bytes
  }

  /** Close everything for a graceful stop. */
  shutdown(): void {
    for (const c of [...this.conns.values()]) this.finish(c, CLOSE_REASON.SHUTDOWN)
  }

  /** Deliver what waited: queued data of resumed connections, then drains. */
  pump(): void {
    for (let progress = true; progress; ) {
      progress = false
      for (const c of this.ready) {
        this.ready.delete(c)
        while (!c.paused && c.queue.length > 0 && this.conns.get(c.id) === c) {
          const next = c.queue.shift()!
          if (typeof next === 'number') this.finish(c, next)
          else this.deliver(c, next)
          progress = true
        }
      }
      if (this.drainWaiters.size > 0 && !this.sendRate.available) {
        this.wakeLater(this.sendRate.waitMs())
        break
      }
      for (const c of this.drainWaiters) {
        if (c.inflight >= LIMITS.sendHighWaterBytes || this.inflight >= RUNTIME_LIMITS.pluginOutboundBytes) continue
        this.drainWaiters.delete(c)
        if (this.conns.get(c.id) === c && c.state === 'open') {
          this.event(c, this.guest().call('hn_on_drain', c.id), 'hn_on_drain')
          progress = true
        }
      }
    }
  }

  // ---- from the plugin (host functions); they return ABI codes and never call the plugin ----

  send(conn: number, ptr: number, len: number): number {
    const c = this.conns.get(conn)
    if (c === undefined || c.state === 'connecting') return RC.EBADCONN
    if (c.state === 'closing') return RC.ECLOSED
    if (len < 0 || len > RUNTIME_LIMITS.maxSendBytes) return RC.EINVAL
    if (c.inflight >= LIMITS.sendHighWaterBytes || this.inflight >= RUNTIME_LIMITS.pluginOutboundBytes) {
      this.drainWaiters.add(c)
      return RC.EAGAIN
    }
    if (len === 0) return 0
    const bytes = this.guest().view(ptr, len)
    if (bytes === null) return RC.EINVAL
    if (!this.sendRate.take(len)) {
      this.drainWaiters.add(c)
      this.wakeLater(this.sendRate.waitMs())
      return RC.EAGAIN
    }
    c.inflight += len
    this.inflight += len
    // copied out of plugin memory now; a send larger than one op goes as several, in order
    const max = this.out.maxPayload
    for (let off = 0; off < len; off += max) this.out.pushBytes(FROM_WORKER.SEND, conn, bytes.subarray(off, Math.min(len, off + max)))
    return len
  }

  close(conn: number): number {
    const c = this.conns.get(conn)
    if (c === undefined) return RC.EBADCONN
    if (c.state === 'closing') return 0
    c.state = 'closing'
    this.drainWaiters.delete(c)
    this.dropQueue(c)
    this.out.push(FROM_WORKER.END, conn, 0)
    return 0
  }

  pause(conn: number, paused: number): number {
    const c = this.conns.get(conn)
    if (c === undefined || c.state === 'connecting') return RC.EBADCONN
    const p = paused !== 0
    if (p === c.paused) return 0
    c.paused = p
    this.out.push(FROM_WORKER.PAUSE, conn, p ? 1 : 0)
    if (!p && c.queue.length > 0) this.ready.add(c)
    return 0
  }

  connect(target: DialTargetWire): number {
    if (this.conns.size >= LIMITS.maxConnectionsPerPlugin || this.outbound >= this.quotas.connections) return RC.ELIMIT
    if (this.dialing >= this.quotas.dialsInFlight || !this.dialRate.take()) return RC.EAGAIN
    const id = this.nextOutbound
    this.nextOutbound += 2
    this.outbound++
    this.dialing++
    this.conns.set(id, { id, state: 'connecting', outbound: true, dialing: true, inflight: 0, paused: false, queue: [] })
    this.out.push(FROM_WORKER.CONNECT, id, target)
    return id
  }

  // ---- internals ----

  private deliver(c: WConn, buf: Uint8Array): void {
    this.ack(c.id, buf.byteLength)
    this.event(c, this.guest().data(c.id, buf), 'hn_on_data')
  }

  private finish(c: WConn, reason: number): void {
    this.conns.delete(c.id)
    this.dialDone(c)
    if (c.outbound) this.outbound--
    this.drainWaiters.delete(c)
    this.ready.delete(c)
    this.dropQueue(c)
    this.inflight -= c.inflight // the host thread drops this connection's unsent bytes
    this.out.push(FROM_WORKER.FIN, c.id, 0)
    this.event(c, this.guest().call('hn_on_close', c.id, reason), 'hn_on_close')
  }

  private dialDone(c: WConn): void {
    if (!c.dialing) return
    c.dialing = false
    this.dialing--
  }

  /** Pump again in `ms` (one wake-up pending at a time, the earliest). */
  private wakeLater(ms: number): void {
    const at = Date.now() + ms
    if (this.wakeAt !== 0 && this.wakeAt <= at) return
    this.wakeAt = at
    this.wake(ms)
  }

  /** The worker's wake-up fired. */
  woke(): void {
    this.wakeAt = 0
  }

  private dropQueue(c: WConn): void {
    for (const item of c.queue) if (typeof item !== 'number') this.ack(c.id, item.byteLength)
    c.queue.length = 0
  }

  private ack(conn: number, bytes: number): void {
    this.out.push(FROM_WORKER.ACK, conn, bytes)
  }

  private event(c: WConn, rc: number, name: string): void {
    if (rc !== 0) this.out.push(FROM_WORKER.EVENT_ERROR, rc, `${name}(${c.id})`)
  }
}

function copyOf(buf: Uint8Array): Uint8Array {
  const copy = new Uint8Array(buf.byteLength)
  copy.set(buf)
  return copy
}
