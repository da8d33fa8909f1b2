import type { SecretStream } from 'hyperdht'
import { ONION_CELL_BYTES, ONION_MAX_DATA, RELAY_CMD, encode, onionSendme } from '../messages.ts'
import type { CellLink } from './cell-link.ts'
import type { Pausable, PauseReason } from './pause-reasons.ts'
import { writeBuffered } from './stream-buffers.ts'
import { StreamWindow } from './stream-window.ts'

/** At most this many bytes of DATA wait for one write to the destination. */
const DEST_BATCH_BYTES = 64 * 1024

/** What the exit's stream needs of its circuit (relay-circuit.ts's RelayCircuit). */
export interface ExitCircuit {
  /** A relay message back to the client, under the exit's layer; false when the link is full. */
  sendMessage(cmd: number, data: Uint8Array, start?: number, end?: number): boolean
  /** Stop reading `from` until `to` drains. */
  waitDrain(to: { once(e: 'drain', fn: () => void): unknown }, from: Pausable): void
  /** Pause `source` for `reason`, and clear that reason (it resumes when no other is left): pause-reasons.ts. */
  pauseFor(source: Pausable, reason: PauseReason): void
  resumeFor(source: Pausable, reason: PauseReason): void
  /** Charge `bytes` the exit sent back to the relay's rate; in debt, `source` pauses for the wait ('rate'). */
  chargeRate(source: Pausable, bytes: number): void
  /** Count what the circuit holds now against its cap and the relay's budget. */
  noteHeld(): void
}

/**
 * The exit's end of a stream: DATA from the client into the destination, the destination's
 * bytes back as DATA. The cells of one read leave in one write (a secret stream encrypts and
 * frames per write: a message per 969-byte cell cost as much as one per 64 KiB). With a client
 * that keeps windows (BEGIN said so), it acknowledges the client's DATA once the destination
 * took it, and sends no more DATA back than the client's window allows, the rest waiting for a
 * SENDME.
 *
 * Paused (the client's window, the relay's rate, a full link back), it stops sending back but
 * keeps reading the destination and holds what comes, counted (`waitingLength`) against the
 * circuit's cap: pausing a HyperDHT stream does not stop its sender (UDX acknowledges whatever
 * arrives), it only moves the pile-up into the stream's buffers, where nothing would count it.
 */
export class ExitStream implements Pausable {
  private batch: Buffer | null = null
  private queued = 0
  private readonly window: StreamWindow | null
  /** Destination reads not yet sent back as DATA, the first from `pendingOff`. */
  private readonly pending: Buffer[] = []
  private pendingOff = 0
  /** Bytes in `pending` not yet sent back. */
  private pendingBytes = 0
  private ackOnDrain = false
  /** Paused for some reason (the circuit's PauseReasons for this stream). */
  private stopped = false
  /** When DATA last went back (ms): a client still taking bytes is not one that stopped acknowledging. */
  lastSentAt = Date.now()
  /** Called once `pending` is all sent (afterSent). */
  private onSent: Array<() => void> = []

  constructor(
    readonly dest: SecretStream,
    private readonly circuit: ExitCircuit,
    private readonly prev: CellLink,
    windows: boolean
  ) {
    this.window = windows ? new StreamWindow() : null
  }

  /**
   * DATA from the client.
   * @throws BAD_MESSAGE when the client sends past its window
   */
  write(data: Uint8Array): void {
    this.window?.received()
    if (!this.batch) {
      this.batch = Buffer.allocUnsafe(DEST_BATCH_BYTES)
      queueMicrotask(() => this.flush())
    }
    this.batch.set(data, this.queued)
    this.queued += data.byteLength
    if (this.queued + ONION_MAX_DATA > DEST_BATCH_BYTES) this.flush()
  }

  /** END from the client: what is queued, then the end. */
  end(): void {
    this.flush()
    this.dest.end()
  }

  /**
   * SENDME from the client: more DATA may go back.
   * @throws BAD_MESSAGE for a stream without windows, or one acknowledging cells never sent
   */
  grant(cells: number): void {
    if (!this.window) throw new Error('SENDME on a stream without windows')
    this.window.grant(cells)
    this.circuit.resumeFor(this, 'window')
    if (!this.stopped) this.pump()
  }

  /** Bytes the destination sent. */
  fromDestination(d: Buffer): void {
    this.pending.push(d)
    this.pendingBytes += d.byteLength
    if (!this.stopped) this.pump()
  }

  /** Stop sending the destination's bytes back (they are held meanwhile). */
  pause(): void {
    this.stopped = true
  }

  resume(): void {
    this.stopped = false
    this.pump()
    // resumed by a timer or a drain, not by arriving bytes (which are counted as they come):
    // what just went into the link's write buffer is counted now
    this.circuit.noteHeld()
  }

  /** Destination bytes not yet sent back: what the exit holds for the client's window. */
  get waitingLength(): number {
    return this.pendingBytes
  }

  /** The client's bytes not yet taken by the destination: the write batch and the stream's buffer. */
  get outgoingLength(): number {
    return this.queued + writeBuffered(this.dest)
  }

  /** The circuit closed: drop what is held. */
  close(): void {
    this.pending.length = 0
    this.pendingBytes = 0
    this.pendingOff = 0
    this.onSent = []
    this.batch = null
    this.queued = 0
  }

  /**
   * `fn` once every byte the destination sent has gone back as DATA: at once, or after the
   * client's SENDMEs let the rest of `pending` go. An END sent before that would cut the
   * client's stream short by what still waits.
   */
  afterSent(fn: () => void): void {
    if (this.pending.length === 0) return fn()
    this.onSent.push(fn)
  }

  private pump(): void {
    if (this.pending.length > 0 && !this.stopped && (!this.window || this.window.open)) this.lastSentAt = Date.now()
    while (this.pending.length > 0 && !this.stopped) {
      if (this.window && !this.window.open) return this.circuit.pauseFor(this, 'window')
      const d = this.pending[0]
      const end = Math.min(this.pendingOff + ONION_MAX_DATA, d.byteLength)
      this.window?.sent()
      const ok = this.circuit.sendMessage(RELAY_CMD.DATA, d, this.pendingOff, end)
      this.pendingBytes -= end - this.pendingOff
      this.pendingOff = end
      if (end === d.byteLength) {
        this.pending.shift()
        this.pendingOff = 0
      }
      // the rate is charged for what leaves, not for what the destination sends (it is not
      // paused, so charging arrivals put the relay's bucket ever deeper in debt, stalling every
      // circuit): in debt by a cell at most, this pauses and the rest waits here, counted
      this.circuit.chargeRate(this, ONION_CELL_BYTES)
      // a full link back: the rest stays in `pending` (counted once, against the waiting
      // allowance) instead of piling into the link's write buffer against the cell cap
      if (!ok) {
        this.circuit.waitDrain(this.prev, this)
        break
      }
    }
    if (this.pending.length === 0 && this.onSent.length > 0) {
      const fns = this.onSent
      this.onSent = []
      for (const fn of fns) fn()
    }
  }

  private flush(): void {
    const batch = this.batch
    const n = this.queued
    this.batch = null
    this.queued = 0
    if (!batch || n === 0 || this.dest.destroyed) return
    if (this.dest.write(batch.subarray(0, n))) return this.acknowledge()
    // a client without windows is slowed by reading its link less; one with windows by its
    // window, acknowledged only once the destination drained (so at most a window waits in
    // `outgoingLength`). Pausing its link then would also hold back its SENDMEs for the
    // destination's bytes, which would pile up here until the circuit's cap ended it.
    if (!this.window) return this.circuit.waitDrain(this.dest, this.prev)
    if (this.ackOnDrain) return
    // the client hears of its cells once the destination has taken them
    this.ackOnDrain = true
    this.dest.once('drain', () => {
      this.ackOnDrain = false
      this.acknowledge()
    })
  }

  private acknowledge(): void {
    if (!this.window || this.ackOnDrain) return
    for (let n = this.window.due(); n > 0; n--) this.circuit.sendMessage(RELAY_CMD.SENDME, encode(onionSendme, { cells: this.window.cellsPerSendme }))
  }
}
