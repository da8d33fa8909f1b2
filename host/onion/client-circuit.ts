import DHT from 'hyperdht'
import { ONION, ONION_REASON } from '../constants.ts'
import { HypernetError, isHypernetError } from '../errors.ts'
import {
  CELL,
  ONION_MAX_HOPS,
  RELAY_CMD,
  decodeExact,
  encode,
  onionBegin,
  onionConnected,
  onionExtend,
  onionHandshake,
  onionHandshakeBody,
  onionMessage,
  onionReason
} from '../messages.ts'
import type { OnionCellWire, OnionMessageWire } from '../messages.ts'
import { connectKey } from '../net/index.ts'
import { CellLink } from './cell-link.ts'
import { clientHandshake } from './hop-handshake.ts'
import { CircuitLayers } from './client-layers.ts'
import { HopCipher } from './onion-layers.ts'
import type { RelayInfo } from './onion-directory.ts'
import { errorForReason, reasonName } from './onion-reasons.ts'
import type { OnionStream } from './onion-stream.ts'
import { StreamEnd } from './stream-end.ts'

/**
 * A client's circuit: a link to the first relay (opened with a fresh key pair, so the relay
 * sees a random key and this machine's address, never a host key), then one hop at a time,
 * CREATE to the first relay and EXTEND through the circuit to each next one, each hop keyed by
 * its own handshake; then BEGIN at the last hop opens one stream to a service key. One circuit
 * carries one stream. Failures name the hop (details.hop, 1-based) and its relay
 * (details.relay) when one is to blame, so the caller can avoid it next time.
 */
export class ClientCircuit {
  private readonly layers = new CircuitLayers()
  private readonly bindings: Buffer[] = []
  private readonly relays: RelayInfo[]
  private link: CellLink | null = null
  private waiter: { cmds: number[]; resolve: (m: OnionMessageWire | OnionCellWire) => void; reject: (e: Error) => void } | null = null
  private end: StreamEnd | null = null
  private closedByUs = false
  error: HypernetError | null = null
  /**
   * Told of messages from the last hop that answer nothing asked (INTRODUCE2 on a hidden
   * service's introduction circuit, RENDEZVOUS2 on a client's waiting circuit); true when taken.
   */
  onMessage: ((msg: OnionMessageWire) => boolean) | null = null
  /** Told once when the link closes, for whatever reason (after `error` is set, if any). */
  onEnd: (() => void) | null = null

  /**
   * @param onError told of the error that ends the circuit, once; details.relay names the relay
   *   to blame when one is known (OnionClient avoids it)
   */
  constructor(
    private readonly dht: DHT,
    path: readonly RelayInfo[],
    private readonly timeoutMs: number = ONION.buildTimeoutMs,
    private onError?: (err: HypernetError) => void
  ) {
    this.relays = [...path]
  }

  /** The relays of the circuit, first to last (grows with `extend`). */
  get path(): readonly RelayInfo[] {
    return this.relays
  }

  /** @throws CIRCUIT_FAILED, CIRCUIT_TAMPERED */
  async build(): Promise<void> {
    const deadline = Date.now() + this.timeoutMs
    const first = this.path[0]
    let stream
    try {
      stream = await connectKey(this.dht, Buffer.from(first.relayKey, 'hex'), this.timeoutMs, { keyPair: DHT.keyPair() })
    } catch (err) {
      throw blame(
        HypernetError.CIRCUIT_FAILED(`relay 1 (${first.relayKey.slice(0, 16)}…) did not answer: ${(err as Error).message}`, 'unreachable', err),
        1,
        first
      )
    }
    const link = new CellLink(stream)
    this.link = link
    link.on('cell', (cell: OnionCellWire) => this.onCell(cell))
    link.on('close', (err: HypernetError | null, reason: number | null) => this.onClose(err, reason))
    for (let i = 0; i < this.path.length; i++) await this.addHop(i, deadline)
  }

  /**
   * Extend a built circuit by one relay: how a pre-built circuit gets the last hop its use
   * calls for (an introduction or rendezvous point, an exit) only when it is needed.
   * @throws CIRCUIT_FAILED (the circuit is closed then), CIRCUIT_TAMPERED
   */
  async extend(relay: RelayInfo): Promise<void> {
    if (this.closed || this.error) throw this.error ?? HypernetError.CIRCUIT_FAILED('the circuit closed before it could be extended', 'hop-lost')
    if (this.relays.length >= ONION_MAX_HOPS) throw HypernetError.INTERNAL(`a circuit has at most ${ONION_MAX_HOPS} hops`)
    this.relays.push(relay)
    await this.addHop(this.relays.length - 1, Date.now() + this.timeoutMs)
  }

  /** CREATE (first hop) or EXTEND through the circuit to hop `i`, and keep its keys. */
  private async addHop(i: number, deadline: number): Promise<void> {
    const link = this.link!
    const relay = this.path[i]
    const hs = clientHandshake(Buffer.from(relay.relayKey, 'hex'))
    let answer: { ephemeral: Uint8Array; auth: Uint8Array | null }
    try {
      if (i === 0) {
        link.send(CELL.CREATE, encode(onionHandshakeBody, { ephemeral: hs.ephemeral, auth: null }))
        const cell = (await this.expect([-CELL.CREATED], deadline)) as OnionCellWire
        answer = decodeExact(onionHandshakeBody, cell.body, 'created')
      } else {
        this.sendMessage(RELAY_CMD.EXTEND, encode(onionExtend, { relayKey: Buffer.from(relay.relayKey, 'hex'), ephemeral: hs.ephemeral }))
        const msg = (await this.expect([RELAY_CMD.EXTENDED, RELAY_CMD.END], deadline)) as OnionMessageWire
        if (msg.cmd === RELAY_CMD.END) throw this.refusal(msg, `relay ${i} could not extend to relay ${i + 1}`)
        answer = decodeExact(onionHandshake, msg.data, 'extended')
      }
      if (!answer.auth) throw HypernetError.CIRCUIT_FAILED(`relay ${i + 1} answered without its proof`, 'handshake')
      const keys = hs.finish({ ephemeral: answer.ephemeral, auth: answer.auth })
      this.layers.add(new HopCipher(keys))
      this.bindings.push(keys.binding)
    } catch (err) {
      const e = isHypernetError(err) ? err : HypernetError.CIRCUIT_FAILED(`relay ${i + 1}: ${(err as Error).message}`, 'protocol', err)
      this.close(ONION_REASON.DONE)
      // a lost link or a destroy from upstream blames nobody in particular
      throw e.details?.reason === 'hop-lost' || e.details?.reason === 'closing' ? e : blame(e, i + 1, relay)
    }
  }

  /**
   * Open the circuit's stream to `serviceKey` at the last hop.
   * @throws CIRCUIT_FAILED (reason `unreachable` when the exit could not reach it)
   */
  async begin(serviceKey: Buffer): Promise<OnionStream> {
    const connected = await this.request(
      RELAY_CMD.BEGIN,
      encode(onionBegin, { serviceKey, windows: true }),
      RELAY_CMD.CONNECTED,
      `the exit could not reach service key ${serviceKey.toString('hex').slice(0, 16)}…`
    )
    let windows: boolean
    try {
      windows = decodeExact(onionConnected, connected.data, 'connected').windows
    } catch (err) {
      this.close(ONION_REASON.PROTOCOL)
      throw HypernetError.CIRCUIT_FAILED(`the exit answered BEGIN with a malformed CONNECTED: ${(err as Error).message}`, 'protocol', err)
    }
    // an exit of version 1 keeps no windows: the stream then runs without them, as before
    return this.openStream(serviceKey, windows)
  }

  /**
   * Send a message to the last hop and wait for `answer`; an END instead closes the circuit.
   * @throws CIRCUIT_FAILED (reason: the END's reason name, or `timeout`)
   */
  async request(cmd: number, data: Uint8Array, answer: number, what: string): Promise<OnionMessageWire> {
    this.sendMessage(cmd, data)
    let msg: OnionMessageWire
    try {
      msg = (await this.expect([answer, RELAY_CMD.END], Date.now() + this.timeoutMs)) as OnionMessageWire
    } catch (err) {
      this.close(ONION_REASON.DONE)
      throw err
    }
    if (msg.cmd === RELAY_CMD.END) {
      const err = this.refusal(msg, what)
      this.close(ONION_REASON.DONE)
      throw err
    }
    return msg
  }

  /**
   * Carry a byte stream on this circuit from now on (after CONNECTED, or once joined at a
   * rendezvous); `windows` when both ends said they keep stream windows (SENDME).
   */
  openStream(remoteKey: Buffer, windows = false): OnionStream {
    this.end = new StreamEnd(this, remoteKey, windows)
    return this.end.stream
  }

  /** Whether the circuit's link is gone (or was never opened). */
  get closed(): boolean {
    return !this.link || this.link.closed
  }

  /** The last hop's handshake binding (what ESTABLISH_INTRO signs). */
  get lastBinding(): Buffer {
    return this.bindings[this.bindings.length - 1]
  }

  /** Send a relay message to the last hop; false when the link wants a `drain`. */
  sendMessage(cmd: number, data: Uint8Array, start = 0, end = data.byteLength): boolean {
    if (!this.link || this.link.closed) return false
    return this.link.send(CELL.RELAY, this.layers.seal(cmd, data, start, end))
  }

  /** Send `data` as DATA messages on the stream; `cb` once the link can take more (and the window is open). */
  write(data: Buffer, cb: (err?: Error | null) => void): void {
    if (!this.link || this.link.closed || !this.end) return cb(this.error ?? HypernetError.CIRCUIT_FAILED('the circuit is closed', 'done'))
    this.end.write(data, cb)
  }

  /** @internal for the stream's end */
  onceDrain(fn: () => void): void {
    this.link?.once('drain', fn)
  }

  /** @internal for the stream's end */
  pauseLink(): void {
    this.link?.pause()
  }

  resumeReading(): void {
    this.link?.resume()
    this.end?.resume()
  }

  /** Tear the circuit down (DESTROY to the first relay). Idempotent. */
  close(reason: number = ONION_REASON.DONE): void {
    this.closedByUs = true
    this.link?.destroy(reason)
  }

  private expect(cmds: number[], deadline: number): Promise<OnionMessageWire | OnionCellWire> {
    if (this.error) return Promise.reject(this.error)
    return new Promise((resolve, reject) => {
      const timer = setTimeout(
        () => {
          this.waiter = null
          reject(HypernetError.CIRCUIT_FAILED(`no answer within ${this.timeoutMs} ms`, 'timeout'))
        },
        Math.max(1, deadline - Date.now())
      )
      const done = (fn: () => void) => {
        clearTimeout(timer)
        this.waiter = null
        fn()
      }
      this.waiter = { cmds, resolve: (m) => done(() => resolve(m)), reject: (e) => done(() => reject(e)) }
    })
  }

  private onCell(cell: OnionCellWire): void {
    // the link's cell is the next cell's too: the waiter gets its own
    if (cell.type === CELL.CREATED && this.waiter?.cmds.includes(-CELL.CREATED)) return this.waiter.resolve({ type: cell.type, body: Buffer.from(cell.body) })
    if (cell.type !== CELL.RELAY || this.layers.length === 0)
      return this.fail(HypernetError.CIRCUIT_FAILED(`relay 1 sent cell type ${cell.type} out of turn`, 'protocol'), ONION_REASON.PROTOCOL)
    let msg: OnionMessageWire
    let hop: number
    try {
      const opened = this.layers.open(cell.body)
      hop = opened.hop
      msg = decodeExact(onionMessage, opened.message, 'onion message')
      // the message is in the layers' buffer, which the next cell reuses: only DATA is copied anyway
      if (msg.cmd !== RELAY_CMD.DATA || !this.end) msg.data = Buffer.from(msg.data)
    } catch (err) {
      const e = isHypernetError(err, 'CIRCUIT_TAMPERED')
        ? err
        : HypernetError.CIRCUIT_FAILED(`the last hop sent a malformed message: ${(err as Error).message}`, 'protocol')
      return this.fail(e, e.code === 'CIRCUIT_TAMPERED' ? ONION_REASON.TAMPERED : ONION_REASON.PROTOCOL)
    }
    if (hop < this.layers.length || msg.cmd === RELAY_CMD.TRUNCATED) {
      // only a middle hop that lost its next one may speak: it blames that next relay
      if (msg.cmd !== RELAY_CMD.TRUNCATED || hop >= this.layers.length)
        return this.fail(HypernetError.CIRCUIT_FAILED(`hop ${hop} sent command ${msg.cmd} out of turn`, 'protocol'), ONION_REASON.PROTOCOL)
      const err = this.refusal(msg, `relay ${hop + 1} went away mid-circuit (reported by relay ${hop})`)
      return this.fail(blame(err, hop + 1, this.path[hop]), ONION_REASON.DONE)
    }
    if (this.waiter?.cmds.includes(msg.cmd)) return this.waiter.resolve(msg)
    const end = this.end
    if (!end && this.onMessage?.(msg)) return
    if (end && (msg.cmd === RELAY_CMD.DATA || msg.cmd === RELAY_CMD.SENDME)) {
      try {
        if (msg.cmd === RELAY_CMD.DATA) end.data(msg.data)
        else end.sendme(msg.data)
      } catch (err) {
        return this.fail(
          HypernetError.CIRCUIT_FAILED(`the other end broke the stream's protocol: ${(err as Error).message}`, 'protocol'),
          ONION_REASON.PROTOCOL
        )
      }
      return
    }
    if (end && msg.cmd === RELAY_CMD.END) return end.end()
    this.fail(HypernetError.CIRCUIT_FAILED(`the last hop sent command ${msg.cmd} out of turn`, 'protocol'), ONION_REASON.PROTOCOL)
  }

  private fail(err: HypernetError, reason: number): void {
    this.error ??= err
    this.close(reason)
  }

  /** Tell the owner once, when the circuit ends in an error. */
  private report(): void {
    const onError = this.onError
    if (!this.error || !onError) return
    this.onError = undefined
    onError(this.error)
  }

  private onClose(err: HypernetError | null, reason: number | null): void {
    // the exit closes the circuit after its END: data already pushed must stay readable
    const quiet = (this.closedByUs && reason === null) || (reason === ONION_REASON.DONE && (this.end?.ended || !this.end))
    if (!this.error && !quiet) {
      this.error =
        reason !== null
          ? errorForReason(reason, 'the circuit was destroyed')
          : blame(
              HypernetError.CIRCUIT_FAILED(`relay 1 went away: the link closed${err ? ` (${err.message})` : ''}`, 'hop-lost', err ?? undefined),
              1,
              this.path[0]
            )
    }
    this.report()
    const onEnd = this.onEnd
    this.onEnd = null
    onEnd?.()
    this.waiter?.reject(this.error ?? HypernetError.CIRCUIT_FAILED('the circuit closed', reasonName(reason ?? ONION_REASON.DONE)))
    this.end?.close(this.error)
  }

  private refusal(msg: OnionMessageWire, what: string): HypernetError {
    let reason: number = ONION_REASON.PROTOCOL
    try {
      reason = decodeExact(onionReason, msg.data, 'end').reason
    } catch {
      // keep PROTOCOL
    }
    return HypernetError.CIRCUIT_FAILED(`${what}: ${reasonName(reason)}`, reasonName(reason))
  }
}

function blame(err: HypernetError, hop: number, relay: RelayInfo): HypernetError {
  if (err.details) Object.assign(err.details, { hop, relay: relay.relayKey, host: relay.hostKey })
  return err
}
