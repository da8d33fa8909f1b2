import type { KeyPair, SecretStream } from 'hyperdht'
import SecretStreamCtor from '@hyperswarm/secret-stream'
import sodium from 'sodium-native'
import { HIDDEN, ONION_REASON } from '../constants.ts'
import { formatId } from '../encoding/ids.ts'
import { silentLogger } from '../log/index.ts'
import type { Logger } from '../log/index.ts'
import { RELAY_CMD, decodeExact, encode, onionCookie, onionEstablishIntro, onionIntroduce, onionIntroduction, onionRecord } from '../messages.ts'
import type { OnionMessageWire } from '../messages.ts'
import type { ClientCircuit } from './client-circuit.ts'
import { introSignable } from './hidden-relay.ts'
import { signDescriptor } from './hidden-record.ts'
import type { OnionClient } from './onion-client.ts'
import type { RelayInfo } from './onion-directory.ts'
import { Lifecycle } from '../util/lifecycle.ts'

/**
 * A hidden service: reachable by its hidden key only through relays, its host's key and
 * address published nowhere. It keeps circuits to `introPoints` relays that introduce it
 * (ESTABLISH_INTRO, signed with the hidden key over each hop's binding), publishes a descriptor
 * naming them through yet another circuit, and for each introduction (a client's rendezvous
 * point and cookie, sealed to the hidden key) builds a circuit to that rendezvous point and
 * runs a Noise handshake (IK, as the responder with the hidden key) over the joined circuits.
 * Each resulting stream goes to `onConnection`, as a HyperDHT server's connections do; its
 * remotePublicKey is the client's one-time key.
 *
 * Introduction circuits that die are rebuilt on other relays and the descriptor republished;
 * the descriptor is also refreshed every publishIntervalMs. Replayed introductions (a cookie
 * seen before) are dropped.
 */

export interface HiddenServiceInit {
  introPoints?: number
  publishIntervalMs?: number
  maxPendingIntroductions?: number
  logger?: Logger
  /** A label for logs and status (the app and service). */
  name?: string
}

export interface HiddenServiceStatus {
  name: string | null
  /** The hidden key clients connect to (hex). */
  key: string
  /** Relay keys of the introduction points in use. */
  intros: string[]
  /** When the descriptor was last stored in the DHT (ISO time), or null. */
  published: string | null
  introductions: number
  connections: number
  /** Why intro points are missing, when they are. */
  problem: string | null
}

export class HiddenService {
  private readonly intros = new Map<string, { relay: RelayInfo; circuit: ClientCircuit }>()
  private readonly seen = new Set<string>()
  private readonly streams = new Set<SecretStream>()
  private readonly log: Logger
  private readonly curve = { publicKey: Buffer.alloc(32), secretKey: Buffer.alloc(32) }
  private timer: NodeJS.Timeout | null = null
  private maintaining: Promise<void> | null = null
  private again = false
  private publishedIntros = ''
  private publishedAt: number | null = null
  private seq = 0
  private pending = 0
  private introductions = 0
  private failures = 0
  private problem: string | null = null
  private readonly life = new Lifecycle()
  private get closed(): boolean {
    return this.life.closed
  }

  constructor(
    private readonly client: OnionClient,
    readonly keyPair: KeyPair,
    private readonly onConnection: (stream: SecretStream) => void,
    private readonly init: HiddenServiceInit = {}
  ) {
    this.log = init.logger ?? silentLogger()
    sodium.crypto_sign_ed25519_pk_to_curve25519(this.curve.publicKey, keyPair.publicKey)
    sodium.crypto_sign_ed25519_sk_to_curve25519(this.curve.secretKey, keyPair.secretKey)
  }

  get key(): Buffer {
    return this.keyPair.publicKey
  }

  /** Start keeping introduction points; returns at once (status() says how far it got). */
  ready(): Promise<void> {
    return this.life.ready(() => this.maintain())
  }

  status(): HiddenServiceStatus {
    return {
      name: this.init.name ?? null,
      key: formatId(this.key),
      intros: [...this.intros.keys()],
      published: this.publishedAt ? new Date(this.publishedAt).toISOString() : null,
      introductions: this.introductions,
      connections: this.streams.size,
      problem: this.problem
    }
  }

  /** Close every circuit and stream; the descriptor expires from the DHT by itself. Idempotent. */
  close(): Promise<void> {
    return this.life.close(async () => {
      if (this.timer) clearTimeout(this.timer)
      for (const { circuit } of this.intros.values()) circuit.close(ONION_REASON.DONE)
      this.intros.clear()
      for (const s of this.streams) s.destroy()
      await this.maintaining?.catch(() => {})
    })
  }

  /** Bring intro points up to strength, then publish if they changed or the record is due. */
  private maintain(): void {
    if (this.closed) return
    if (this.maintaining) {
      this.again = true
      return
    }
    this.maintaining = this.fill()
      .catch((err: Error) => {
        this.problem = err.message
        this.failures++
        this.log.warn('hidden service: intro points or descriptor failed', { service: this.init.name, error: err.message })
      })
      .finally(() => {
        this.maintaining = null
        if (this.again) {
          this.again = false
          return this.maintain()
        }
        this.schedule()
      })
  }

  private schedule(): void {
    if (this.closed) return
    if (this.timer) clearTimeout(this.timer)
    const wanted = this.init.introPoints ?? HIDDEN.introPoints
    const retry = this.intros.size < wanted || this.publishedAt === null
    const ms = retry ? Math.min(HIDDEN.maxRetryMs, 500 * 2 ** Math.min(this.failures, 6)) : (this.init.publishIntervalMs ?? HIDDEN.publishIntervalMs)
    this.timer = setTimeout(() => {
      if (!retry) this.publishedIntros = '' // due for a refresh
      this.maintain()
    }, ms)
    this.timer.unref()
  }

  private async fill(): Promise<void> {
    const wanted = this.init.introPoints ?? HIDDEN.introPoints
    const used = [...this.intros.values()].flatMap((i) => [i.relay.hostKey, i.relay.relayKey])
    // never a guard: the relay that sees this host's address must not also hold its hidden key
    const fresh = await this.client.pickRelays(wanted - this.intros.size, [...used, ...(await this.client.currentGuards())])
    await Promise.all(
      fresh.map((relay) =>
        this.establish(relay).catch((err: Error) => this.log.info('hidden service: intro point refused', { service: this.init.name, error: err.message }))
      )
    )
    if (this.closed) return
    if (this.intros.size === 0) throw new Error(`no introduction point: ${fresh.length === 0 ? 'no onion relays found' : 'every relay tried failed'}`)
    const names = [...this.intros.keys()].sort().join(',')
    if (names !== this.publishedIntros) await this.publish(names)
    this.failures = 0
    this.problem = this.intros.size < wanted ? `${this.intros.size} of ${wanted} introduction points` : null
  }

  private async establish(relay: RelayInfo): Promise<void> {
    const circuit = await this.client.withCircuit(relay, async (c) => {
      const signature = Buffer.alloc(64)
      sodium.crypto_sign_detached(signature, introSignable(c.lastBinding, this.key), this.keyPair.secretKey)
      await c.request(
        RELAY_CMD.ESTABLISH_INTRO,
        encode(onionEstablishIntro, { serviceKey: this.key, signature }),
        RELAY_CMD.INTRO_ESTABLISHED,
        `relay ${relay.relayKey.slice(0, 16)}… would not introduce`
      )
      return c
    })
    if (this.closed) return circuit.close()
    circuit.onMessage = (msg) => this.onIntroduce(msg)
    circuit.onEnd = () => {
      if (this.intros.get(relay.relayKey)?.circuit !== circuit) return
      this.intros.delete(relay.relayKey)
      this.log.info('hidden service: intro point lost, replacing it', { service: this.init.name })
      this.maintain()
    }
    if (circuit.closed) return
    this.intros.set(relay.relayKey, { relay, circuit })
  }

  private async publish(names: string): Promise<void> {
    this.seq = Math.max(this.seq + 1, Math.floor(Date.now() / 1000))
    const record = signDescriptor(
      this.keyPair,
      [...this.intros.keys()].map((k) => Buffer.from(k, 'hex')),
      this.seq
    )
    await this.client.withCircuit(undefined, async (c) => {
      await c.request(RELAY_CMD.PUBLISH, encode(onionRecord, record), RELAY_CMD.PUBLISHED, 'the relay could not store the descriptor')
      c.close()
    })
    this.publishedIntros = names
    this.publishedAt = Date.now()
    this.log.info('hidden service descriptor published', { service: this.init.name, intros: this.intros.size })
  }

  /** INTRODUCE2 from an intro point: meet the client at its rendezvous point. Never throws. */
  private onIntroduce(msg: OnionMessageWire): boolean {
    if (msg.cmd !== RELAY_CMD.INTRODUCE2) return false
    let intro: { rendezvousKey: Uint8Array; cookie: Uint8Array; windows?: boolean }
    try {
      const i = decodeExact(onionIntroduce, msg.data, 'introduce')
      const plain = Buffer.alloc(Math.max(0, i.sealed.byteLength - sodium.crypto_box_SEALBYTES))
      if (!Buffer.from(i.serviceKey).equals(this.key) || !sodium.crypto_box_seal_open(plain, Buffer.from(i.sealed), this.curve.publicKey, this.curve.secretKey))
        throw new Error('not sealed to this key')
      intro = decodeExact(onionIntroduction, plain, 'introduction')
    } catch (err) {
      this.log.debug('hidden service: unreadable introduction dropped', { service: this.init.name, error: (err as Error).message })
      return true
    }
    const cookie = Buffer.from(intro.cookie).toString('hex')
    if (this.seen.has(cookie) || this.pending >= (this.init.maxPendingIntroductions ?? HIDDEN.maxPendingIntroductions)) return true
    this.seen.add(cookie)
    // forget the oldest cookies first (a Set keeps insertion order)
    if (this.seen.size > HIDDEN.replayCacheSize) this.seen.delete(this.seen.values().next().value!)
    this.introductions++
    this.pending++
    this.meet(Buffer.from(intro.rendezvousKey).toString('hex'), Buffer.from(intro.cookie), intro.windows === true)
      .catch((err: Error) => this.log.debug('hidden service: rendezvous failed', { service: this.init.name, error: err.message }))
      .finally(() => this.pending--)
    return true
  }

  /** `windows`: the client keeps stream windows and its rendezvous point passes SENDME on. */
  private async meet(rendezvousKey: string, cookie: Buffer, windows: boolean): Promise<void> {
    const rp = await this.client.relayInfo(rendezvousKey)
    const raw = await this.client.withCircuit(rp, async (c) => {
      c.sendMessage(RELAY_CMD.RENDEZVOUS1, encode(onionCookie, { cookie, windows }))
      // the rendezvous point answers nothing on success: the client's handshake comes next
      return c.openStream(this.key, windows)
    })
    const stream = new SecretStreamCtor(false, raw, { keyPair: this.keyPair, pattern: 'IK' })
    stream.on('error', () => {})
    const timer = setTimeout(() => stream.destroy(), HIDDEN.rendezvousTimeoutMs)
    const opened = await stream.opened
    clearTimeout(timer)
    if (this.closed || !opened) {
      stream.destroy()
      throw new Error('the client never completed the handshake')
    }
    this.streams.add(stream)
    stream.once('close', () => this.streams.delete(stream))
    this.onConnection(stream)
  }
}
