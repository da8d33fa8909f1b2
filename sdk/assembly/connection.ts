/**
 * Connections and the per-connection send queue.
 *
 * Backpressure: `hn_send` is all or nothing and answers EAGAIN when the host already holds
 * 1 MiB for the connection. The SDK then keeps the refused bytes (copied: the caller's
 * buffer may be the inbox, overwritten by the next event), pauses reading from that
 * connection, and on `hn_on_drain` flushes the queue, resumes reading and calls
 * `Handler.onDrain`. While bytes wait, `send()` answers false. The queue is bounded: a
 * connection whose queue would pass MAX_QUEUED_BYTES is closed rather than left to grow,
 * because a stream with a hole in it is worse than a closed one.
 */
import { ECLOSED, EAGAIN, ELIMIT, hn_close, hn_pause, hn_send } from "./raw"
import { setLastError } from "./errors"
import { log } from "./log"

/** Largest chunk one `hn_send` may carry; longer sends are split. */
export const MAX_SEND_BYTES: i32 = 1 << 20

/** Most bytes the SDK keeps for one connection while the host refuses them. */
export const MAX_QUEUED_BYTES: i32 = 1 << 20

/** Length of a peer's public key (ed25519, proven by the Noise handshake). */
export const PEER_KEY_BYTES: i32 = 32

/**
 * What to do with one connection's events. Extend it and override what you need; the
 * defaults do nothing. Pass an instance to `serve()` (inbound), `connect()` (outbound) or
 * `mesh.join()` (peers), to handle every connection there; or pass a factory,
 * `(conn) => new Session(conn)`, to `serve()` or `mesh.join()` for one handler per connection.
 */
export class Handler {
  /** The connection is open: `conn.peer` and `conn.service` are set. */
  onOpen(conn: Connection): void {}
  /** Bytes arrived. `data` is valid only during this call: `data.slice()` to keep it. */
  onData(conn: Connection, data: Uint8Array): void {}
  /** The connection is gone (`CLOSE_END`, `CLOSE_ERROR`, `CLOSE_REFUSED`, `CLOSE_SHUTDOWN`). */
  onClose(conn: Connection, reason: i32): void {}
  /** Bytes the host had refused are all sent: `send()` will take more now. */
  onDrain(conn: Connection): void {}
}

/** One stream between this app and a peer. The SDK creates these; keep them as long as you like. */
export class Connection {
  /** The host's id for the connection. Ids may be reused once `onClose` has run. */
  readonly id: i32
  /** True for connections this app dialled with `connect()`. */
  readonly outbound: bool
  /** What `connect()` dialled, or the mesh `mesh.join()` joined; "" for inbound connections. */
  readonly target: string
  /** True for a peer host of a mesh this app joined (`mesh.join()`). */
  readonly mesh: bool
  /** The handler this connection's events go to. */
  handler: Handler
  /** The peer's 32-byte public key; empty until `onOpen`. */
  peer: Uint8Array = new Uint8Array(0)
  /** The service the connection is on: ours for inbound, the remote one for outbound. */
  service: string = ""
  /** True between `onOpen` and `onClose`. */
  isOpen: bool = false
  /** True once `onClose` ran: the id means nothing any more. */
  isClosed: bool = false

  private closing: bool = false
  private queue: Array<Uint8Array> = []
  private headOffset: i32 = 0
  private queued: i32 = 0
  private queuePaused: bool = false
  private userPaused: bool = false
  private hostPaused: bool = false

  constructor(id: i32, outbound: bool, target: string, handler: Handler, mesh: bool = false) {
    this.id = id
    this.outbound = outbound
    this.target = target
    this.handler = handler
    this.mesh = mesh
  }

  /** True while earlier bytes wait for the host: stop sending until `onDrain`. */
  get backedUp(): bool {
    return this.queue.length > 0
  }

  /** Bytes waiting in the SDK for this connection. */
  get queuedBytes(): i32 {
    return this.queued
  }

  /** True after `close()`, before `onClose`. */
  get isClosing(): bool {
    return this.closing
  }

  /**
   * Send bytes, in order. Returns true when the host took all of them. False means the
   * host did not take them now; `lastError()` says why:
   * EAGAIN: they are queued in the SDK (up to 1 MiB) and go out before anything sent later;
   * stop sending until `onDrain`. ELIMIT: the queue is full; nothing was kept and the
   * connection is being closed. ECLOSED: `close()` was called or the connection is gone.
   * EBADCONN, EINVAL: as the host answered.
   */
  send(data: Uint8Array): bool {
    if (this.closing || this.isClosed) {
      setLastError(ECLOSED)
      return false
    }
    if (this.queue.length > 0) {
      this.enqueue(data, 0)
      return false
    }
    const len = data.length
    let off = 0
    while (off < len) {
      const n = min(len - off, MAX_SEND_BYTES)
      const rc = hn_send(this.id, data.dataStart + <usize>off, n)
      if (rc == EAGAIN) {
        this.enqueue(data, off)
        if (this.queue.length > 0) {
          this.queuePaused = true
          this.syncPause()
        }
        return false
      }
      if (rc < 0) {
        setLastError(rc)
        return false
      }
      off += n
    }
    return true
  }

  /** Send a string as UTF-8; returns as `send()`. */
  sendString(text: string): bool {
    return this.send(Uint8Array.wrap(String.UTF8.encode(text)))
  }

  /** End the connection once every queued byte is sent. `onClose` follows. */
  close(): void {
    if (this.closing || this.isClosed) return
    this.closing = true
    if (this.queue.length == 0) hn_close(this.id)
  }

  /** Stop receiving: the host holds back `onData` and stops reading from the peer. */
  pause(): void {
    this.userPaused = true
    this.syncPause()
  }

  /** Undo `pause()`. A connection the SDK paused for its own queue stays paused until drained. */
  resume(): void {
    this.userPaused = false
    this.syncPause()
  }

  /** @internal The host said open. */
  _opened(peer: Uint8Array, service: string): void {
    this.peer = peer
    this.service = service
    this.isOpen = true
  }

  /** @internal `hn_on_drain`: flush what the host refused before, then tell the handler. */
  _drain(): void {
    while (this.queue.length > 0) {
      const chunk = this.queue[0]
      const len = chunk.length
      while (this.headOffset < len) {
        const n = min(len - this.headOffset, MAX_SEND_BYTES)
        const rc = hn_send(this.id, chunk.dataStart + <usize>this.headOffset, n)
        // Still full: the host calls hn_on_drain again when it is not.
        if (rc == EAGAIN) return
        if (rc < 0) {
          // The connection is going away; hn_on_close follows.
          this.dropQueue()
          return
        }
        this.headOffset += n
        this.queued -= n
      }
      this.queue.shift()
      this.headOffset = 0
    }
    this.queuePaused = false
    this.syncPause()
    if (this.closing) {
      hn_close(this.id)
      return
    }
    this.handler.onDrain(this)
  }

  /** @internal `hn_on_close`. */
  _gone(): void {
    this.isOpen = false
    this.isClosed = true
    this.dropQueue()
  }

  private enqueue(data: Uint8Array, off: i32): void {
    const n = data.length - off
    if (this.queue.length > 0 && this.queued + n > MAX_QUEUED_BYTES) {
      log.warn("connection " + this.id.toString() + ": over 1 MiB waiting to be sent; closing it")
      setLastError(ELIMIT)
      this.dropQueue()
      this.closing = true
      hn_close(this.id)
      return
    }
    this.queue.push(data.slice(off))
    this.queued += n
    setLastError(EAGAIN)
  }

  private dropQueue(): void {
    this.queue = []
    this.headOffset = 0
    this.queued = 0
  }

  private syncPause(): void {
    const want = this.userPaused || this.queuePaused
    if (want == this.hostPaused || this.isClosed) return
    // Refused (a dial still connecting answers EBADCONN): try again on the next change.
    if (hn_pause(this.id, want ? 1 : 0) == 0) this.hostPaused = want
  }
}
