import type DHT from 'hyperdht'
import sodium from 'sodium-native'
import { HIDDEN, NAMESPACE, ONION_REASON } from '../constants.ts'
import { formatId } from '../encoding/ids.ts'
import type { Logger } from '../log/index.ts'
import {
  RELAY_CMD,
  decodeExact,
  encode,
  onionConnected,
  onionCookie,
  onionEstablishIntro,
  onionFetch,
  onionIntroduce,
  onionReason,
  onionRecord
} from '../messages.ts'
import type { OnionCookieWire, OnionMessageWire } from '../messages.ts'
import { fetchRecord, storeRecord, verifyRecord } from './hidden-record.ts'
import type { RelayCircuit, RelayObservation } from './relay-circuit.ts'

/**
 * A relay's part in hidden services: introduction points (a service's circuit registered
 * under its hidden key, to which INTRODUCE1 from clients is passed on as INTRODUCE2),
 * rendezvous points (a client's circuit waiting under a cookie until the service's circuit
 * brings the same cookie, then the two are spliced), and descriptor storage (PUBLISH, FETCH)
 * done from this relay's DHT node for the ends of a circuit, so they never touch the DHT.
 *
 * An introduction point learns the hidden key (it is public) and nothing of the service's
 * host; a rendezvous point learns neither the service nor the client: it sees two circuits
 * and a random cookie, and then end-to-end encrypted bytes.
 */

const HANDLED = new Set<number>([
  RELAY_CMD.ESTABLISH_INTRO,
  RELAY_CMD.ESTABLISH_RENDEZVOUS,
  RELAY_CMD.INTRODUCE1,
  RELAY_CMD.RENDEZVOUS1,
  RELAY_CMD.PUBLISH,
  RELAY_CMD.FETCH
])

export interface HiddenRelayInit {
  dht: DHT
  log: Logger
  /** How long a DHT store or lookup for a circuit may take, in ms. */
  timeoutMs: number
  /** DHT stores and lookups one circuit may ask for (each costs a DHT query). */
  maxDhtRequests?: number
  observe?: (o: RelayObservation) => void
}

export class HiddenRelay {
  /** hidden key (hex) -> the service's introduction circuit */
  private readonly intros = new Map<string, RelayCircuit>()
  /** cookie (hex) -> the client's waiting rendezvous circuit */
  private readonly cookies = new Map<string, RelayCircuit>()
  /** Waiting circuits whose client keeps stream windows (it hears whether the service does). */
  private readonly windowed = new Set<RelayCircuit>()
  /** DHT requests made for each circuit, so one circuit cannot make this relay query forever. */
  private readonly dhtRequests = new WeakMap<RelayCircuit, number>()
  /** Circuits that sent their INTRODUCE1: a client sends one per circuit (Tor's rule too). */
  private readonly introduced = new WeakSet<RelayCircuit>()

  constructor(private readonly init: HiddenRelayInit) {}

  /** Whether `cmd` is a hidden-service command this relay answers at the last hop. */
  handles(cmd: number): boolean {
    return HANDLED.has(cmd)
  }

  /** Counts for status. */
  status(): { intros: number; rendezvous: number } {
    return { intros: this.intros.size, rendezvous: this.cookies.size }
  }

  /** A circuit closed: drop what it registered. */
  forget(circuit: RelayCircuit): void {
    for (const [k, c] of this.intros) if (c === circuit) this.intros.delete(k)
    for (const [k, c] of this.cookies) if (c === circuit) this.cookies.delete(k)
    this.windowed.delete(circuit)
  }

  /** Answer one hidden-service command from `circuit` (in state `open`); malformed data throws BAD_MESSAGE. */
  onMessage(circuit: RelayCircuit, msg: OnionMessageWire): void {
    switch (msg.cmd) {
      case RELAY_CMD.ESTABLISH_INTRO:
        return this.establishIntro(circuit, decodeExact(onionEstablishIntro, msg.data, 'establish intro'))
      case RELAY_CMD.INTRODUCE1:
        return this.introduce(circuit, msg.data)
      case RELAY_CMD.ESTABLISH_RENDEZVOUS:
        return this.establishRendezvous(circuit, decodeExact(onionCookie, msg.data, 'establish rendezvous'))
      case RELAY_CMD.RENDEZVOUS1:
        return this.rendezvous(circuit, decodeExact(onionCookie, msg.data, 'rendezvous'))
      case RELAY_CMD.PUBLISH:
        return this.publish(circuit, msg.data)
      case RELAY_CMD.FETCH:
        return this.fetch(circuit, decodeExact(onionFetch, msg.data, 'fetch').key)
    }
  }

  private establishIntro(circuit: RelayCircuit, e: { serviceKey: Uint8Array; signature: Uint8Array }): void {
    const signed = introSignable(circuit.binding!, e.serviceKey)
    if (!sodium.crypto_sign_verify_detached(Buffer.from(e.signature), signed, Buffer.from(e.serviceKey))) {
      this.init.log.debug('hidden service intro with a bad signature', { circuit: circuit.id })
      return circuit.close(ONION_REASON.PROTOCOL)
    }
    const key = formatId(e.serviceKey)
    // the newest circuit wins: a service that rebuilt its intro circuit replaces the old one
    const old = this.intros.get(key)
    this.intros.set(key, circuit)
    if (old && old !== circuit) old.close(ONION_REASON.DONE)
    circuit.setState('intro')
    this.init.observe?.({ circuit: circuit.id, kind: 'intro', key, address: null })
    circuit.sendMessage(RELAY_CMD.INTRO_ESTABLISHED, Buffer.alloc(0))
  }

  private introduce(circuit: RelayCircuit, data: Uint8Array): void {
    // a second INTRODUCE1 on one circuit is a flood: each would cost the service a decryption
    if (this.introduced.has(circuit)) {
      this.init.log.debug('hidden service: a second introduction on one circuit', { circuit: circuit.id })
      return circuit.close(ONION_REASON.PROTOCOL)
    }
    this.introduced.add(circuit)
    const i = decodeExact(onionIntroduce, data, 'introduce')
    const intro = this.intros.get(formatId(i.serviceKey))
    if (!intro) return void circuit.sendMessage(RELAY_CMD.INTRODUCE_ACK, encode(onionReason, { reason: ONION_REASON.NO_SUCH_SERVICE }))
    // passed on as it came: the sealed part is for the service alone
    intro.sendMessage(RELAY_CMD.INTRODUCE2, data)
    circuit.sendMessage(RELAY_CMD.INTRODUCE_ACK, encode(onionReason, { reason: ONION_REASON.DONE }))
  }

  private establishRendezvous(circuit: RelayCircuit, { cookie, windows }: OnionCookieWire): void {
    const key = Buffer.from(cookie).toString('hex')
    if (this.cookies.has(key)) return circuit.close(ONION_REASON.PROTOCOL)
    this.cookies.set(key, circuit)
    if (windows) this.windowed.add(circuit)
    circuit.setState('waiting')
    // a client of version 1 gets the empty answer it knows; one of version 2 learns SENDME passes here
    circuit.sendMessage(RELAY_CMD.RENDEZVOUS_ESTABLISHED, windows ? encode(onionConnected, { windows: true }) : Buffer.alloc(0))
  }

  private rendezvous(circuit: RelayCircuit, { cookie, windows }: OnionCookieWire): void {
    const key = Buffer.from(cookie).toString('hex')
    const waiting = this.cookies.get(key)
    if (!waiting || waiting.currentState !== 'waiting')
      return void circuit.sendMessage(RELAY_CMD.END, encode(onionReason, { reason: ONION_REASON.UNREACHABLE }))
    this.cookies.delete(key)
    const asked = this.windowed.delete(waiting)
    waiting.sendMessage(RELAY_CMD.RENDEZVOUS2, asked ? encode(onionConnected, { windows: windows === true }) : Buffer.alloc(0))
    waiting.join(circuit)
    circuit.join(waiting)
  }

  private publish(circuit: RelayCircuit, data: Uint8Array): void {
    const r = decodeExact(onionRecord, data, 'publish')
    // a record the DHT would refuse is refused here, where the publisher hears why
    if (!verifyRecord(r)) return void circuit.sendMessage(RELAY_CMD.END, encode(onionReason, { reason: ONION_REASON.PROTOCOL }))
    this.init.observe?.({ circuit: circuit.id, kind: 'publish', key: formatId(r.key), address: null })
    this.whileBusy(
      circuit,
      () => storeRecord(this.init.dht, r, this.init.timeoutMs),
      () => circuit.sendMessage(RELAY_CMD.PUBLISHED, Buffer.alloc(0))
    )
  }

  private fetch(circuit: RelayCircuit, key: Uint8Array): void {
    this.init.observe?.({ circuit: circuit.id, kind: 'fetch', key: formatId(key), address: null })
    this.whileBusy(
      circuit,
      () => fetchRecord(this.init.dht, Buffer.from(key), this.init.timeoutMs),
      (record) => {
        if (record) circuit.sendMessage(RELAY_CMD.FETCHED, encode(onionRecord, record))
        else circuit.sendMessage(RELAY_CMD.END, encode(onionReason, { reason: ONION_REASON.NO_SUCH_SERVICE }))
      }
    )
  }

  /** Run a DHT request for a circuit; it answers when done (END UNREACHABLE on failure), if still open. */
  private whileBusy<T>(circuit: RelayCircuit, start: () => Promise<T>, answer: (v: T) => void): void {
    const n = (this.dhtRequests.get(circuit) ?? 0) + 1
    this.dhtRequests.set(circuit, n)
    if (n > (this.init.maxDhtRequests ?? HIDDEN.maxDhtRequestsPerCircuit)) {
      circuit.sendMessage(RELAY_CMD.END, encode(onionReason, { reason: ONION_REASON.LIMIT }))
      return circuit.close(ONION_REASON.LIMIT)
    }
    circuit.setState('busy')
    const work = start()
    work.then(
      (v) => {
        if (circuit.currentState !== 'busy') return
        circuit.setState('open')
        answer(v)
      },
      (err: Error) => {
        this.init.log.debug('hidden service DHT request failed', { circuit: circuit.id, error: err.message })
        if (circuit.currentState !== 'busy') return
        circuit.setState('open')
        circuit.sendMessage(RELAY_CMD.END, encode(onionReason, { reason: ONION_REASON.UNREACHABLE }))
      }
    )
  }
}

/** What a hidden service signs to make the last hop of a circuit its introduction point. */
export function introSignable(binding: Uint8Array, serviceKey: Uint8Array): Buffer {
  const out = Buffer.alloc(32)
  sodium.crypto_generichash(out, Buffer.concat([NAMESPACE.ONION_INTRO, binding, serviceKey]))
  return out
}
