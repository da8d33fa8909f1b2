import DHT from 'hyperdht'
import type { KeyPair, SecretStream } from 'hyperdht'
import { ONION_REASON } from '../constants.ts'
import { formatId } from '../encoding/ids.ts'
import { HypernetError } from '../errors.ts'
import type { Logger } from '../log/index.ts'
import {
  CELL,
  ONION_CELL_BYTES,
  ONION_MESSAGE_BYTES,
  RELAY_CMD,
  decodeExact,
  encode,
  onionBegin,
  onionConnected,
  onionExtend,
  onionHandshake,
  onionHandshakeBody,
  onionMessage,
  onionReason,
  onionSendme
} from '../messages.ts'
import type { OnionBeginWire, OnionCellWire, OnionMessageWire } from '../messages.ts'
import { CellLink } from './cell-link.ts'
import { ExitStream } from './exit-stream.ts'
import { relayHandshake } from './hop-handshake.ts'
import type { HeldBudget, HeldCircuit } from './held-budget.ts'
import { HopCipher } from './onion-layers.ts'
import { CircuitPauses } from './pause-reasons.ts'
import type { Drainable, Pausable, PauseReason } from './pause-reasons.ts'
import type { TokenBucket } from '../util/token-bucket.ts'

/**
 * One circuit as a relay sees it: the link it came in on (`prev`), this hop's layer, and at
 * most one of: the link to the next relay (after EXTEND), or the stream to a destination
 * service (after BEGIN, when this relay is the exit). Every outbound connection uses a fresh
 * key pair, so the next hop or the destination sees a random key, never this host's key nor
 * its relay key, and nothing links two circuits through the same relay.
 */

/** What a relay learns about who is next to it: the instrumentation tests check. */
export interface RelayObservation {
  circuit: number
  /**
   * `prev`: a link came in; `next`: extended to a relay; `destination`: opened a stream;
   * `intro`: became the introduction point of a hidden service key; `publish`, `fetch`: stored
   * or looked up a hidden service's descriptor; `rendezvous`: joined two circuits (key: the
   * other circuit's number).
   */
  kind: 'prev' | 'next' | 'destination' | 'intro' | 'publish' | 'fetch' | 'rendezvous'
  /** Hex key: the peer's proven key for `prev`, the key dialled or named otherwise. */
  key: string
  /** `host:port` of the peer, when known. */
  address: string | null
}

export interface RelayContext {
  dht: DHT
  keyPair: KeyPair
  limiter: TokenBucket
  maxCircuitBytes: number
  /** Most bytes of cells the relay holds for one circuit: held on its links, in their write buffers, in the destination's (ONION.maxHeldBytes). */
  maxHeldBytes: number
  /** Most bytes of a destination's the exit holds for the client's window (ONION.maxExitWaitingBytes). */
  maxExitWaitingBytes: number
  /** What all the relay's circuits hold together (held-budget.ts). */
  budget: HeldBudget
  extendTimeoutMs: number
  /** How long a new link may take to send CREATE before it is dropped (DESTROY TIMEOUT). */
  createTimeoutMs: number
  /** How long the circuit of a closed destination waits for the client's SENDMEs before it goes anyway. */
  exitFlushMs: number
  log: Logger
  /** Introduction and rendezvous points, descriptor storage: shared by the relay's circuits (hidden-relay.ts). */
  hidden: RelayCommandHook
  observe?: (o: RelayObservation) => void
}

/**
 * `intro`: a hidden service's introduction circuit; `waiting`: a client's rendezvous circuit
 * before the service arrives; `joined`: spliced to `peer` at a rendezvous; `busy`: a DHT
 * request for the last hop is under way.
 */
/**
 * Relay commands handled outside the circuit's own state machine (the hidden-service ones, by
 * hidden-relay.ts's HiddenRelay): asked about every message of an open circuit.
 */
export interface RelayCommandHook {
  handles(cmd: number): boolean
  onMessage(circuit: RelayCircuit, msg: OnionMessageWire): void
}

export type RelayCircuitState = 'new' | 'open' | 'extending' | 'extended' | 'connecting' | 'stream' | 'intro' | 'waiting' | 'joined' | 'busy' | 'closed'

export class RelayCircuit implements HeldCircuit {
  private state: RelayCircuitState = 'new'
  private hop: HopCipher | null = null
  private hopBinding: Buffer | null = null
  private peer: RelayCircuit | null = null
  private next: CellLink | null = null
  private dest: SecretStream | null = null
  private bytes = 0
  private endSent = false
  private pending: SecretStream | null = null
  private exit: ExitStream | null = null
  /** Why each source is paused; it resumes only when no reason is left (pause-reasons.ts). */
  private readonly pauses = new CircuitPauses()
  private readonly prev: CellLink
  private createTimer: NodeJS.Timeout | null
  /** Set while a closed destination's last bytes wait for the client's SENDMEs. */
  private flushTimer: NodeJS.Timeout | null = null
  /** The IP address the circuit came from ('unknown' when the stream does not say). */
  readonly address: string
  /** When a cell last crossed this circuit either way (or destination bytes), ms. */
  lastActive = Date.now()

  constructor(
    private readonly ctx: RelayContext,
    readonly id: number,
    stream: SecretStream,
    private readonly onClosed: (c: RelayCircuit) => void
  ) {
    this.prev = new CellLink(stream)
    // the circuit's cap counts the link's held bytes with everything else it holds
    this.prev.maxHeldBytes = Infinity
    this.prev.onHeld = () => this.checkHeld()
    this.address = stream.rawStream?.remoteHost ?? 'unknown'
    // a link that holds a slot without ever sending CREATE is dropped: slots are not free to hold
    this.createTimer = setTimeout(() => this.teardown(ONION_REASON.TIMEOUT), ctx.createTimeoutMs)
    this.createTimer.unref()
    ctx.observe?.({ circuit: id, kind: 'prev', key: formatId(stream.remotePublicKey), address: this.prev.remoteAddress })
    this.prev.on('cell', (cell: OnionCellWire) => this.onPrevCell(cell))
    this.prev.on('close', (_err: unknown, reason: number | null) => this.teardown(reason ?? ONION_REASON.HOP_LOST))
  }

  /** Tear the circuit down, telling both neighbours why. Idempotent. */
  close(reason: number = ONION_REASON.CLOSING): void {
    this.teardown(reason)
  }

  private onPrevCell(cell: OnionCellWire): void {
    if (!this.account(this.prev)) return
    try {
      if (this.state === 'new') return this.create(cell)
      if (cell.type !== CELL.RELAY || !this.hop) return this.teardown(ONION_REASON.PROTOCOL)
      let body: Buffer
      try {
        body = this.hop.peel(cell.body, `relay circuit ${this.id}`)
      } catch {
        this.ctx.log.debug('onion cell failed its MAC', { circuit: this.id })
        return this.teardown(ONION_REASON.TAMPERED)
      }
      if (this.state === 'extended') return this.forward(this.next!, this.prev, CELL.RELAY, body)
      if (this.state !== 'open' && this.state !== 'stream' && this.state !== 'joined') return this.teardown(ONION_REASON.PROTOCOL)
      const msg = decodeExact(onionMessage, body.subarray(0, ONION_MESSAGE_BYTES), 'onion message')
      if (this.state === 'stream' && msg.cmd === RELAY_CMD.DATA) return this.exit!.write(msg.data)
      // SENDME crosses as DATA does: the ends, not this relay, keep the windows
      if (this.state === 'joined' && (msg.cmd === RELAY_CMD.DATA || msg.cmd === RELAY_CMD.END || msg.cmd === RELAY_CMD.SENDME))
        return this.splice(msg.cmd, msg.data)
      // the peel buffer is the next cell's: what the rest keeps (an EXTEND's key across its dial) gets its own bytes
      msg.data = Buffer.from(msg.data)
      if (this.state === 'open' && msg.cmd === RELAY_CMD.EXTEND) return this.extend(decodeExact(onionExtend, msg.data, 'extend'))
      if (this.state === 'open' && msg.cmd === RELAY_CMD.BEGIN) return this.begin(decodeExact(onionBegin, msg.data, 'begin'))
      if (this.state === 'open' && this.ctx.hidden.handles(msg.cmd)) return this.ctx.hidden.onMessage(this, msg)
      if (this.state === 'stream' && msg.cmd === RELAY_CMD.END) return this.exit!.end()
      if (this.state === 'stream' && msg.cmd === RELAY_CMD.SENDME) return this.exit!.grant(decodeExact(onionSendme, msg.data, 'sendme').cells)
      this.teardown(ONION_REASON.PROTOCOL)
    } catch (err) {
      // malformed bytes from a peer end this circuit, never the relay
      this.ctx.log.debug('onion circuit protocol error', { circuit: this.id, error: (err as Error).message })
      this.teardown(ONION_REASON.PROTOCOL)
    }
  }

  private create(cell: OnionCellWire): void {
    if (cell.type !== CELL.CREATE) return this.teardown(ONION_REASON.PROTOCOL)
    this.clearCreateTimer()
    const { ephemeral } = decodeExact(onionHandshakeBody, cell.body, 'create')
    const answer = relayHandshake(this.ctx.keyPair, ephemeral)
    this.hop = new HopCipher(answer.keys)
    this.hopBinding = answer.keys.binding
    this.state = 'open'
    this.prev.send(CELL.CREATED, encode(onionHandshakeBody, { ephemeral: answer.ephemeral, auth: answer.auth }))
  }

  private extend(e: { relayKey: Uint8Array; ephemeral: Uint8Array }): void {
    this.state = 'extending'
    this.ctx.observe?.({ circuit: this.id, kind: 'next', key: formatId(e.relayKey), address: null })
    this.dial(Buffer.from(e.relayKey), (stream) => {
      const next = new CellLink(stream)
      next.maxHeldBytes = Infinity
      next.onHeld = () => this.checkHeld()
      this.next = next
      next.on('close', (_err: unknown, reason: number | null) => {
        if (this.next !== next) return
        if (this.state === 'extending') this.refuse(reason ?? ONION_REASON.UNREACHABLE)
        else if (reason === null || reason === ONION_REASON.CLOSING) this.truncate(reason ?? ONION_REASON.HOP_LOST)
        else this.teardown(reason)
      })
      next.on('cell', (cell: OnionCellWire) => this.onNextCell(cell))
      next.send(CELL.CREATE, encode(onionHandshakeBody, { ephemeral: e.ephemeral, auth: null }))
    })
  }

  private onNextCell(cell: OnionCellWire): void {
    if (!this.account(this.next!)) return
    if (this.state === 'extending' && cell.type === CELL.CREATED) {
      try {
        const h = decodeExact(onionHandshakeBody, cell.body, 'created')
        if (!h.auth) throw HypernetError.BAD_MESSAGE('CREATED without its proof')
        this.state = 'extended'
        this.sendMessage(RELAY_CMD.EXTENDED, encode(onionHandshake, h))
      } catch {
        this.teardown(ONION_REASON.PROTOCOL)
      }
      return
    }
    if (this.state === 'extended' && cell.type === CELL.RELAY) return this.forward(this.prev, this.next!, CELL.RELAY, this.hop!.wrap(cell.body))
    this.teardown(ONION_REASON.PROTOCOL)
  }

  private begin({ serviceKey, windows }: OnionBeginWire): void {
    this.state = 'connecting'
    this.ctx.observe?.({ circuit: this.id, kind: 'destination', key: formatId(serviceKey), address: null })
    this.dial(Buffer.from(serviceKey), (stream) => {
      this.dest = stream
      this.state = 'stream'
      const exit = new ExitStream(stream, this, this.prev, windows === true)
      this.exit = exit
      // a client of version 1 gets the empty CONNECTED it knows
      this.sendMessage(RELAY_CMD.CONNECTED, windows ? encode(onionConnected, { windows: true }) : Buffer.alloc(0))
      stream.on('data', (d: Buffer) => {
        if (!this.account(null, d.byteLength)) return
        exit.fromDestination(d)
        this.checkHeld()
      })
      // END (and, on close, the teardown) waits for what the client's window holds back
      stream.on('end', () => exit.afterSent(() => this.endStream(ONION_REASON.DONE)))
      stream.on('error', () => {})
      stream.on('close', () => {
        if (this.state === 'closed') return
        // a client that stops sending SENDMEs does not keep the circuit and its bytes for long;
        // one still taking them, at the relay's rate, may take longer (the exit reads a
        // destination eagerly, so it can close with megabytes still to go back)
        const giveUp = () => {
          const idle = Date.now() - exit.lastSentAt
          if (idle >= this.ctx.exitFlushMs) return this.teardown(ONION_REASON.TIMEOUT)
          this.flushTimer = setTimeout(giveUp, this.ctx.exitFlushMs - idle)
          this.flushTimer.unref()
        }
        this.flushTimer ??= setTimeout(giveUp, this.ctx.exitFlushMs)
        this.flushTimer.unref()
        exit.afterSent(() => {
          this.endStream(ONION_REASON.DESTINATION_CLOSED)
          this.teardown(ONION_REASON.DONE)
        })
      })
    })
  }

  /** Connect with a fresh key pair; on failure answer END(UNREACHABLE) and go back to `open`. */
  private dial(key: Buffer, onOpen: (s: SecretStream) => void): void {
    const stream = this.ctx.dht.connect(key, { keyPair: DHT.keyPair() })
    this.pending = stream
    const timer = setTimeout(() => stream.destroy(HypernetError.TIMEOUT('no answer')), this.ctx.extendTimeoutMs)
    const fail = () => {
      clearTimeout(timer)
      if (this.pending !== stream) return
      this.pending = null
      this.refuse(ONION_REASON.UNREACHABLE)
    }
    stream.on('error', fail)
    stream.once('close', fail)
    stream.once('open', () => {
      clearTimeout(timer)
      stream.removeListener('error', fail)
      stream.removeListener('close', fail)
      stream.on('error', () => {})
      this.pending = null
      if (this.state === 'closed') return void stream.destroy()
      onOpen(stream)
    })
  }

  /**
   * The next hop went away (or is shutting down): this hop becomes the circuit's last and says
   * so with TRUNCATED, authenticated by its own layer, so the client learns which relay is gone.
   */
  private truncate(reason: number): void {
    if (this.state !== 'extended') return
    this.next = null
    this.state = 'open'
    this.pauses.cancelDrain(this.prev)
    this.sendMessage(RELAY_CMD.TRUNCATED, encode(onionReason, { reason }))
  }

  /** EXTEND or BEGIN failed: say why with END and accept another EXTEND or BEGIN. */
  private refuse(reason: number): void {
    if (this.state === 'closed') return
    const next = this.next
    this.next = null
    next?.destroy(ONION_REASON.DONE)
    this.state = 'open'
    this.sendMessage(RELAY_CMD.END, encode(onionReason, { reason }))
  }

  /** The destination ended or closed: one END to the client. */
  private endStream(reason: number): void {
    if (this.endSent) return
    this.endSent = true
    this.sendMessage(RELAY_CMD.END, encode(onionReason, { reason }))
  }

  /** This hop's handshake binding (hop-handshake.ts): what ESTABLISH_INTRO signs. */
  get binding(): Buffer | null {
    return this.hopBinding
  }

  /** Torn down (held-budget.ts skips it). */
  get closed(): boolean {
    return this.state === 'closed'
  }

  get currentState(): RelayCircuitState {
    return this.state
  }

  /** Move between the hidden-service states (hidden-relay.ts); a closed circuit stays closed. */
  setState(state: 'open' | 'intro' | 'waiting' | 'busy'): void {
    if (this.state !== 'closed') this.state = state
  }

  /** Splice this circuit to `peer` at a rendezvous: DATA and END cross over, both ways. */
  join(peer: RelayCircuit): void {
    this.peer = peer
    this.state = 'joined'
    this.ctx.observe?.({ circuit: this.id, kind: 'rendezvous', key: String(peer.id), address: null })
  }

  private splice(cmd: number, data: Uint8Array): void {
    const peer = this.peer!
    // the peer's link being full stops reading here until it drains, as for any forwarding
    if (!peer.sendMessage(cmd, data)) this.waitDrain(peer.prev, this.prev)
  }

  private clearCreateTimer(): void {
    if (this.createTimer) clearTimeout(this.createTimer)
    this.createTimer = null
  }

  /** Send a relay message (`data[start, end)`) to the client side of this circuit, under this hop's layer. */
  sendMessage(cmd: number, data: Uint8Array, start = 0, end = data.byteLength): boolean {
    if (this.state === 'closed' || !this.hop) return false
    return this.prev.send(CELL.RELAY, this.hop.wrapMessage(cmd, data, start, end))
  }

  private forward(to: CellLink, from: CellLink, type: number, body: Buffer): void {
    if (!to.send(type, body)) this.waitDrain(to, from)
  }

  /** Stop reading `from` until `to` drains (one wait per source at a time). */
  waitDrain(to: Drainable, from: Pausable): void {
    this.pauses.untilDrain(to, from)
  }

  /** Pause `source` for `reason`. */
  pauseFor(source: Pausable, reason: PauseReason): void {
    this.pauses.pause(source, reason)
  }

  /** `reason` no longer holds `source`: it resumes if no other reason does. */
  resumeFor(source: Pausable, reason: PauseReason): void {
    this.pauses.resume(source, reason)
  }

  /** Bytes the relay holds for this circuit: cells held and waiting to be written on both links, the exit's both ways. */
  get heldBytes(): number {
    return this.cellBytes() + (this.exit?.waitingLength ?? 0)
  }

  private cellBytes(): number {
    let n = this.prev.heldLength + this.prev.outgoingLength
    if (this.next) n += this.next.heldLength + this.next.outgoingLength
    if (this.exit) n += this.exit.outgoingLength
    return n
  }

  /**
   * Count what the relay holds for this circuit against its cap, then against the relay's
   * budget: past the cap the circuit ends with LIMIT (only a peer ignoring its window, or a
   * destination far faster than its client, gets there). Runs whenever bytes arrive.
   */
  private checkHeld(andPeer = true): void {
    if (this.state === 'closed') return
    const cells = this.cellBytes()
    const waiting = this.exit?.waitingLength ?? 0
    if (cells > this.ctx.maxHeldBytes || waiting > this.ctx.maxExitWaitingBytes) {
      this.ctx.budget.limited++
      this.ctx.log.debug('onion circuit over its held bytes', { circuit: this.id, cells, waiting })
      return this.teardown(ONION_REASON.LIMIT)
    }
    this.ctx.budget.note(this, cells + waiting)
    // at a rendezvous this circuit's bytes fill the other circuit's link
    if (andPeer && this.peer && this.state === 'joined') this.peer.checkHeld(false)
  }

  /** Count a cell (or destination bytes) against the circuit's limit, and a cell against the relay's rate. */
  private account(from: CellLink | null, n = ONION_CELL_BYTES): boolean {
    this.lastActive = Date.now()
    this.bytes += n
    if (this.bytes > this.ctx.maxCircuitBytes) {
      this.teardown(ONION_REASON.LIMIT)
      return false
    }
    // a destination's bytes are charged as they leave as DATA (chargeRate), not as they arrive
    if (from) this.chargeRate(from, n)
    return true
  }

  /** Count what the circuit holds now (the exit resumed by a timer or a drain). */
  noteHeld(): void {
    this.checkHeld()
  }

  /** Charge `n` bytes to the relay's rate: in debt, `source` stops for the wait. */
  chargeRate(source: Pausable, n: number): void {
    const wait = this.ctx.limiter.take(n)
    if (wait > 0) this.pauses.throttle(source, wait)
  }

  private teardown(reason: number): void {
    if (this.state === 'closed') return
    this.clearCreateTimer()
    if (this.flushTimer) clearTimeout(this.flushTimer)
    this.flushTimer = null
    const peer = this.peer
    this.peer = null
    // the other half of a rendezvous hears END first, so its end sees a clean close
    if (peer && peer.state === 'joined') {
      peer.peer = null
      peer.sendMessage(RELAY_CMD.END, encode(onionReason, { reason: ONION_REASON.DESTINATION_CLOSED }))
      peer.teardown(ONION_REASON.DONE)
    }
    this.state = 'closed'
    this.pauses.close()
    this.prev.onHeld = null
    if (this.next) this.next.onHeld = null
    this.exit?.close()
    this.prev.destroy(reason)
    this.next?.destroy(reason)
    this.dest?.destroy()
    this.pending?.destroy()
    this.onClosed(this)
  }
}
