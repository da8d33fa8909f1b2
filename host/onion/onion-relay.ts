import type DHT from 'hyperdht'
import type { KeyPair, Server, SecretStream } from 'hyperdht'
import { ONION, ONION_REASON } from '../constants.ts'
import { formatId } from '../encoding/ids.ts'
import { silentLogger } from '../log/index.ts'
import type { Logger } from '../log/index.ts'
import { CellLink } from './cell-link.ts'
import { RelayCircuit } from './relay-circuit.ts'
import type { RelayObservation } from './relay-circuit.ts'
import { TokenBucket } from '../util/token-bucket.ts'
import { HiddenRelay } from './hidden-relay.ts'
import { HeldBudget } from './held-budget.ts'

/**
 * An onion relay (`start --onion-relay`): a HyperDHT server on the host's relay key that
 * carries circuits for anyone, within limits: circuits at once, cell bytes per second for all
 * circuits together (reading pauses), bytes per circuit (destroyed with LIMIT), bytes held for
 * one circuit (held cells, write buffers, the exit's bytes waiting for the client's window), and
 * bytes held for all circuits together (the one holding the most is destroyed first).
 *
 * A full relay does not lock newcomers out (keys are free, addresses are not): a newcomer from
 * an address holding fewer circuits than the heaviest address evicts that address's idlest
 * circuit (DESTROY(LIMIT)); otherwise it is answered DESTROY(LIMIT) at once, so its client hears
 * why. Past twice the limit, connections are refused in the firewall before any handshake. A
 * link that sends no CREATE within `createTimeoutMs` is dropped (DESTROY(TIMEOUT)), so idle
 * links cannot hold slots. It logs counts and reasons, never keys or addresses: a relay's log
 * is what an observer of that relay would want.
 */

export interface OnionRelayInit {
  maxCircuits?: number
  maxBytesPerSecond?: number
  maxCircuitBytes?: number
  /** Bytes of cells held for one circuit before it ends with LIMIT (ONION.maxHeldBytes). */
  maxHeldBytes?: number
  /** Bytes of a destination's the exit holds for one client's window before the circuit ends with LIMIT (ONION.maxExitWaitingBytes). */
  maxExitWaitingBytes?: number
  /** Bytes held for all circuits together; past it the circuits holding the most end with LIMIT (ONION.maxRelayHeldBytes). */
  maxRelayHeldBytes?: number
  extendTimeoutMs?: number
  /** How long a new link may take to send CREATE, in ms. */
  createTimeoutMs?: number
  /** How long a circuit whose destination closed waits for its client's SENDMEs (ONION.exitFlushMs). */
  exitFlushMs?: number
  logger?: Logger
  /** Test instrumentation: everything the relay learns about its neighbours. */
  observe?: (o: RelayObservation) => void
}

export interface OnionRelayStatus {
  key: string
  circuits: number
  maxCircuits: number
  maxBytesPerSecond: number
  /** Circuits accepted and refused since start. */
  accepted: number
  refused: number
  /** Circuits destroyed to make room for a newcomer from a lighter address. */
  evicted: number
  /** Bytes held for all circuits now, and the most the relay holds before it sheds circuits. */
  held: number
  maxHeld: number
  /** Circuits ended (LIMIT) for holding more than one circuit may, and to bring the relay back under `maxHeld`. */
  limited: number
  shed: number
  /** Hidden services this relay introduces, and clients waiting at it for a rendezvous. */
  intros: number
  rendezvous: number
}

export class OnionRelay {
  private server: Server | null = null
  private readonly circuits = new Set<RelayCircuit>()
  private readonly limiter: TokenBucket
  private readonly log: Logger
  private readonly hidden: HiddenRelay
  private readonly budget: HeldBudget
  private nextId = 1
  private accepted = 0
  private refused = 0
  private evicted = 0
  private opening: Promise<void> | null = null
  private closing: Promise<void> | null = null

  constructor(
    private readonly dht: DHT,
    readonly keyPair: KeyPair,
    private readonly init: OnionRelayInit = {}
  ) {
    this.log = init.logger ?? silentLogger()
    this.limiter = new TokenBucket(this.maxBytesPerSecond)
    this.budget = new HeldBudget(init.maxRelayHeldBytes ?? ONION.maxRelayHeldBytes, () => this.circuits)
    this.hidden = new HiddenRelay({ dht, log: this.log, timeoutMs: init.extendTimeoutMs ?? ONION.extendTimeoutMs, observe: init.observe })
  }

  get publicKey(): Buffer {
    return this.keyPair.publicKey
  }

  private get maxCircuits(): number {
    return this.init.maxCircuits ?? ONION.maxCircuits
  }

  private get maxBytesPerSecond(): number {
    return this.init.maxBytesPerSecond ?? ONION.maxBytesPerSecond
  }

  /** Listen on the relay key. */
  ready(): Promise<void> {
    this.opening ??= (async () => {
      const server = this.dht.createServer({ firewall: () => this.refuse() }, (stream) => this.accept(stream))
      this.server = server
      await server.listen(this.keyPair)
      this.log.info('onion relay listening', { key: formatId(this.keyPair.publicKey), maxCircuits: this.maxCircuits })
    })()
    return this.opening
  }

  status(): OnionRelayStatus {
    return {
      key: formatId(this.keyPair.publicKey),
      circuits: this.circuits.size,
      maxCircuits: this.maxCircuits,
      maxBytesPerSecond: this.maxBytesPerSecond,
      accepted: this.accepted,
      refused: this.refused,
      evicted: this.evicted,
      held: this.budget.count(),
      maxHeld: this.budget.max,
      limited: this.budget.limited,
      shed: this.budget.shed,
      ...this.hidden.status()
    }
  }

  /** Destroy every circuit (DESTROY CLOSING both ways) and stop listening. */
  close(): Promise<void> {
    this.closing ??= (async () => {
      await this.opening?.catch(() => {})
      for (const c of [...this.circuits]) c.close(ONION_REASON.CLOSING)
      await this.server?.close()
    })()
    return this.closing
  }

  private refuse(): boolean {
    if (!this.closing && this.circuits.size < 2 * this.maxCircuits) return false
    this.refused++
    this.log.debug('onion circuit refused', { circuits: this.circuits.size })
    return true
  }

  private accept(stream: SecretStream): void {
    if (this.closing) return void stream.destroy()
    stream.on('error', () => {})
    if (this.circuits.size >= this.maxCircuits) {
      const victim = this.victim(stream.rawStream?.remoteHost ?? 'unknown')
      if (!victim) {
        this.refused++
        return new CellLink(stream).destroy(ONION_REASON.LIMIT)
      }
      this.evicted++
      this.log.debug('onion circuit evicted for a newcomer', { circuits: this.circuits.size })
      victim.close(ONION_REASON.LIMIT)
    }
    this.accepted++
    const circuit = new RelayCircuit(
      {
        dht: this.dht,
        keyPair: this.keyPair,
        limiter: this.limiter,
        maxCircuitBytes: this.init.maxCircuitBytes ?? ONION.maxCircuitBytes,
        maxHeldBytes: this.init.maxHeldBytes ?? ONION.maxHeldBytes,
        maxExitWaitingBytes: this.init.maxExitWaitingBytes ?? ONION.maxExitWaitingBytes,
        budget: this.budget,
        extendTimeoutMs: this.init.extendTimeoutMs ?? ONION.extendTimeoutMs,
        createTimeoutMs: this.init.createTimeoutMs ?? ONION.createTimeoutMs,
        exitFlushMs: this.init.exitFlushMs ?? ONION.exitFlushMs,
        log: this.log,
        hidden: this.hidden,
        observe: this.init.observe
      },
      this.nextId++,
      stream,
      (c) => {
        this.circuits.delete(c)
        this.budget.forget(c)
        this.hidden.forget(c)
      }
    )
    this.circuits.add(circuit)
  }

  /**
   * The circuit to evict so a newcomer from `address` gets a slot: the idlest circuit of the
   * address holding the most, when that address holds more than the newcomer's; null when the
   * newcomer's address is (one of) the heaviest. Behind one address may be a relay extending
   * many clients' circuits: those move cells, so a flood's idle circuits go first.
   */
  private victim(address: string): RelayCircuit | null {
    const counts = new Map<string, number>()
    for (const c of this.circuits) counts.set(c.address, (counts.get(c.address) ?? 0) + 1)
    let heaviest: string | null = null
    for (const [a, n] of counts) if (heaviest === null || n > counts.get(heaviest)!) heaviest = a
    if (heaviest === null || counts.get(heaviest)! <= (counts.get(address) ?? 0)) return null
    let idlest: RelayCircuit | null = null
    for (const c of this.circuits) if (c.address === heaviest && (idlest === null || c.lastActive < idlest.lastActive)) idlest = c
    return idlest
  }
}
