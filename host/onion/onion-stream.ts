import { Duplex } from 'node:stream'
import { ONION_REASON } from '../constants.ts'
import { RELAY_CMD, encode, onionReason } from '../messages.ts'
import type { RelayInfo } from './onion-directory.ts'

/** What a stream needs of the circuit that carries it (client-circuit.ts's ClientCircuit). */
export interface StreamCircuit {
  readonly path: readonly RelayInfo[]
  /** Send `data` as DATA messages; `cb` once it is queued (or the circuit failed). */
  write(data: Buffer, cb: (err?: Error | null) => void): void
  sendMessage(cmd: number, data: Uint8Array, start?: number, end?: number): boolean
  resumeReading(): void
  close(reason?: number): void
}

/**
 * The byte stream a client gets from an anonymous connection: a Node Duplex carried by one
 * circuit. Writes become DATA messages (cut to fit cells), `end()` sends END, `destroy()`
 * tears the circuit down. It fails with CIRCUIT_FAILED or CIRCUIT_TAMPERED when the circuit
 * does. Fits the plugin runtime's DuplexLike.
 */
export class OnionStream extends Duplex {
  /**
   * The service key asked for. The exit's Noise handshake proved the destination holds it,
   * but only the exit saw that proof: the client takes the exit's word for it.
   */
  readonly remotePublicKey: Buffer

  constructor(
    private readonly circuit: StreamCircuit,
    serviceKey: Buffer
  ) {
    super({ allowHalfOpen: true })
    this.remotePublicKey = serviceKey
  }

  /** The relays the circuit runs through, first to last. */
  get path(): readonly RelayInfo[] {
    return this.circuit.path
  }

  override _write(chunk: Buffer, _enc: BufferEncoding, cb: (err?: Error | null) => void): void {
    this.circuit.write(chunk, cb)
  }

  override _final(cb: (err?: Error | null) => void): void {
    this.circuit.sendMessage(RELAY_CMD.END, encode(onionReason, { reason: ONION_REASON.DONE }))
    cb()
  }

  override _read(): void {
    this.circuit.resumeReading()
  }

  override _destroy(err: Error | null, cb: (err?: Error | null) => void): void {
    this.circuit.close(ONION_REASON.DONE)
    cb(err)
  }
}
