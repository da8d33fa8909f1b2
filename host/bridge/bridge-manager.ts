import type { KeyPair, SecretStream } from 'hyperdht'
import { formatId } from '../encoding/ids.ts'
import { HypernetError } from '../errors.ts'
import type { Logger } from '../log/index.ts'
import type { BridgeConnectionStatus, BridgePathInfo, BridgeStream, LedgerTotals } from './bridge-ledger.ts'
import { bridgeServiceHash } from './bridge-service-hash.ts'
import { BridgeStore, bridgeId, validateBridge } from './bridge-store.ts'
import type { BridgeConfig, ExposeBridgeConfig, ListenBridgeConfig } from './bridge-store.ts'
import { ExposeBridge } from './expose-bridge.ts'
import { ListenBridge } from './listen-bridge.ts'
import type { BridgeDial } from './listen-bridge.ts'
import { Lifecycle } from '../util/lifecycle.ts'

/**
 * Runs the bridges of `<home>/bridges.json` in the daemon: opens each listen bridge's port,
 * listens on each exposed service's key (through the host's service listener, so its firewall
 * and limits apply) and advertises it (announced under its service hash, listed in the host
 * descriptor, found by verified lookups like a plugin's service). An anonymous listen bridge
 * dials through `dialAnonymous` (an onion circuit per connection) instead, and a hidden one
 * through `dialHidden` (a rendezvous with a hidden service); a hidden exposed service runs as a
 * hidden service (`listenHidden`) and is never advertised. Adding checks for clashes
 * and opens the port before it is saved, so a bad bridge is refused, never half-made. A bridge
 * that cannot start at daemon start (its port taken meanwhile) is shown failed in status, and
 * the rest of the host runs.
 */

export interface BridgeManagerComponents {
  identity: KeyPair
  log: Logger
  /** Open a stream to a service hash or key (the host's dialer: verified peers, relays). */
  dial: BridgeDial
  /** Open a stream to a service hash or key through a fresh onion circuit (anonymous listen bridges). */
  dialAnonymous: BridgeDial
  /** Open a stream to a hidden service key (hidden listen bridges). */
  dialHidden: BridgeDial
  /** Run / stop a hidden service for an exposed bridge's hash; returns its hidden key. */
  listenHidden(hash: string, name: string): Promise<Buffer>
  unlistenHidden(hash: string): Promise<void>
  /** Listen for / stop listening for a service hash on its key pair (the host's listener). */
  listen(hash: string): Promise<Buffer>
  unlisten(hash: string): Promise<void>
  /** Replace the advertised bridges. */
  advertise(bridges: Array<{ name: string; key: Buffer }>): Promise<void>
  /** Throw USAGE when the host descriptor could not list this many exposed names. */
  checkFits(names: string[]): void
  /** Names of the services this host's apps run, to refuse an exposed name that clashes (name -> app). */
  appServices(): Map<string, string>
  /** How a connection travels now: direct, relayed, or through an onion circuit. */
  pathOf(stream: BridgeStream): BridgePathInfo
}

export interface BridgeStatus extends LedgerTotals {
  kind: 'listen' | 'expose'
  id: string
  /** listen: the service key or hash dialled; expose: the TCP server's host:port. */
  target: string
  /** listen: the local TCP address; expose: null. */
  local: string | null
  /** listen: every connection goes through a fresh onion circuit; expose: always false. */
  anonymous: boolean
  /** listen: the target is a hidden service key; expose: published as a hidden service (key: its hidden key). */
  hidden: boolean
  /** expose: the service name, hash and key. */
  name: string | null
  hash: string | null
  key: string | null
  state: 'running' | 'failed'
  error: string | null
  open: BridgeConnectionStatus[]
}

type Running = { config: ListenBridgeConfig; bridge: ListenBridge } | { config: ExposeBridgeConfig; bridge: ExposeBridge }

export class BridgeManager {
  private readonly store: BridgeStore
  private readonly running = new Map<string, Running>()
  private readonly failed = new Map<string, { config: BridgeConfig; error: string }>()
  /** service hash (hex) -> exposed bridge */
  private readonly exposed = new Map<string, ExposeBridge>()
  private chain: Promise<unknown> = Promise.resolve()
  private readonly life = new Lifecycle()
  private get closed(): boolean {
    return this.life.closed
  }

  constructor(
    private readonly c: BridgeManagerComponents,
    file: string
  ) {
    this.store = new BridgeStore(file)
  }

  /** Start every configured bridge. */
  async ready(): Promise<void> {
    await this.reload()
  }

  /** Whether `hash` is an exposed bridge's service hash. */
  has(hash: string): boolean {
    return this.exposed.has(hash)
  }

  /** Hand an accepted connection to the exposed bridge of `hash`. */
  accept(hash: string, stream: SecretStream): void {
    const b = this.exposed.get(hash)
    if (b) b.accept(stream)
    else stream.destroy(HypernetError.NOT_FOUND(`service ${hash} is not running here`))
  }

  /**
   * Add a bridge and start it at once.
   * @throws USAGE, BAD_HASH, NAME_TAKEN, ADDRESS_IN_USE
   */
  add(input: Record<string, unknown>): Promise<BridgeStatus> {
    return this.serial(async () => {
      const config = validateBridge(input)
      if (config.kind === 'expose') {
        const app = this.c.appServices().get(config.name)
        if (app) throw HypernetError.NAME_TAKEN('--name', config.name, `a service of app ${app}`)
        if (!config.hidden) this.c.checkFits([...this.advertised().map((b) => b.config.name), config.name])
      }
      const id = bridgeId(config)
      // open the port first: a taken port is refused before anything is saved
      const started = config.kind === 'listen' ? await this.startListen(config) : null
      try {
        await this.store.add(config)
      } catch (err) {
        await started?.close()
        throw err
      }
      if (started) this.running.set(id, { config: config as ListenBridgeConfig, bridge: started })
      else await this.start(config)
      await this.readvertise()
      return this.status().find((b) => b.id === id)!
    })
  }

  /** Stop and forget a bridge; returns what it was. @throws BRIDGE_NOT_FOUND */
  remove(ref: string): Promise<BridgeConfig & { id: string }> {
    return this.serial(async () => {
      const removed = await this.store.remove(ref)
      await this.stop(bridgeId(removed))
      await this.readvertise()
      return { ...removed, id: bridgeId(removed) }
    })
  }

  /** Bring running bridges in line with the file (after an edit made without the daemon). */
  reload(): Promise<void> {
    return this.serial(async () => {
      const wanted = new Map((await this.store.read()).map((b) => [bridgeId(b), b]))
      for (const id of [...this.running.keys(), ...this.failed.keys()]) {
        const w = wanted.get(id)
        if (!w || JSON.stringify(w) !== JSON.stringify(this.configOf(id))) await this.stop(id)
      }
      for (const [id, config] of wanted) if (!this.running.has(id)) await this.start(config)
      await this.readvertise()
    })
  }

  status(): BridgeStatus[] {
    const out: BridgeStatus[] = []
    for (const [id, r] of this.running) {
      out.push({
        ...this.describe(r.config),
        id,
        state: 'running',
        error: null,
        ...r.bridge.ledger.totals(),
        open: r.bridge.ledger.connections((s) => this.c.pathOf(s))
      })
    }
    for (const [id, f] of this.failed) {
      out.push({
        ...this.describe(f.config),
        id,
        state: 'failed',
        error: f.error,
        connections: 0,
        bytesIn: 0,
        bytesOut: 0,
        failed: 0,
        lastError: null,
        open: []
      })
    }
    return out
  }

  close(): Promise<void> {
    return this.life.close(async () => {
      await this.chain.catch(() => {})
      for (const id of [...this.running.keys()]) await this.stop(id)
    })
  }

  private describe(config: BridgeConfig): Omit<BridgeStatus, 'state' | 'error' | 'open' | keyof LedgerTotals> {
    if (config.kind === 'listen')
      return {
        kind: 'listen',
        id: bridgeId(config),
        target: config.target,
        local: bridgeId(config),
        anonymous: config.anonymous,
        hidden: config.hidden,
        name: null,
        hash: null,
        key: null
      }
    const hash = formatId(bridgeServiceHash(this.c.identity.publicKey, config.name))
    const running = this.exposed.get(hash)
    return {
      kind: 'expose',
      id: config.name,
      target: config.target,
      local: null,
      anonymous: false,
      hidden: config.hidden,
      name: config.name,
      hash,
      key: running ? running.key : null
    }
  }

  private configOf(id: string): BridgeConfig | undefined {
    return this.running.get(id)?.config ?? this.failed.get(id)?.config
  }

  private async startListen(config: ListenBridgeConfig): Promise<ListenBridge> {
    const bridge = new ListenBridge(config, config.hidden ? this.c.dialHidden : config.anonymous ? this.c.dialAnonymous : this.c.dial, this.c.log)
    await bridge.ready()
    return bridge
  }

  /** Start one bridge; a failure is recorded, not thrown (status shows it). */
  private async start(config: BridgeConfig): Promise<void> {
    const id = bridgeId(config)
    try {
      if (config.kind === 'listen') {
        this.running.set(id, { config, bridge: await this.startListen(config) })
      } else {
        const hash = formatId(bridgeServiceHash(this.c.identity.publicKey, config.name))
        const key = config.hidden ? await this.c.listenHidden(hash, config.name) : await this.c.listen(hash)
        const bridge = new ExposeBridge(config, hash, formatId(key), this.c.log)
        this.exposed.set(hash, bridge)
        this.running.set(id, { config, bridge })
      }
      this.failed.delete(id)
      this.c.log.info('bridge started', {
        bridge: id,
        kind: config.kind,
        target: config.target,
        hidden: config.hidden,
        ...(config.kind === 'listen' ? { anonymous: config.anonymous } : {})
      })
    } catch (err) {
      this.failed.set(id, { config, error: (err as Error).message })
      this.c.log.error('bridge not started', { bridge: id, error: (err as Error).message })
    }
  }

  private async stop(id: string): Promise<void> {
    this.failed.delete(id)
    const r = this.running.get(id)
    if (!r) return
    this.running.delete(id)
    if (r.config.kind === 'listen') await (r.bridge as ListenBridge).close()
    else {
      const b = r.bridge as ExposeBridge
      this.exposed.delete(b.hash)
      if (b.config.hidden) await this.c.unlistenHidden(b.hash)
      else await this.c.unlisten(b.hash)
      b.close()
    }
    this.c.log.info('bridge stopped', { bridge: id })
  }

  private readvertise(): Promise<void> {
    if (this.closed) return Promise.resolve()
    return this.c.advertise(this.advertised().map((b) => ({ name: b.config.name, key: Buffer.from(b.key, 'hex') })))
  }

  /** Exposed bridges listed in the host descriptor: all but the hidden ones. */
  private advertised(): ExposeBridge[] {
    return [...this.exposed.values()].filter((b) => !b.config.hidden)
  }

  private serial<T>(fn: () => Promise<T>): Promise<T> {
    const next = this.chain.then(fn)
    this.chain = next.catch(() => {})
    return next
  }
}
