import { join } from 'node:path'
import DHT from 'hyperdht'
import type { KeyPair, NodeAddress, SecretStream } from 'hyperdht'
import { AppServer, AutoUpgrader, ServingStore } from '../apps/index.ts'
import type { ServingLimits } from '../apps/index.ts'
import type { BridgeManager } from '../bridge/index.ts'
import { Advertiser, vouchesFor } from '../dns/index.ts'
import { createMeshSwarm } from '../mesh/index.ts'
import type { MeshSwarm } from '../mesh/index.ts'
import { formatId } from '../encoding/ids.ts'
import { HypernetError, isHypernetError } from '../errors.ts'
import { homePaths } from '../home.ts'
import type { HomePaths } from '../home.ts'
import { loadOrCreateKeyFile } from '../keys/index.ts'
import { KvService, registerKvPlugin } from '../kv/index.ts'
import type { KvServiceInit } from '../kv/index.ts'
import { MetricsServer } from '../metrics/index.ts'
import type { MetricsAddress } from '../metrics/index.ts'
import { WebServer } from '../web/index.ts'
import type { WebAddress } from '../web/index.ts'
import { createLogger, silentLogger } from '../log/index.ts'
import type { Level, Logger, RootLogger } from '../log/index.ts'
import {
  DEFAULT_POLICY,
  PathTracker,
  RelayDirectory,
  RelayServer,
  ServiceListener,
  bindDhtNode,
  deriveServiceKeyPair,
  relayKeyPair,
  startLocalNetwork
} from '../net/index.ts'
import type { ConnectionPolicy, DialCache, LocalNetwork, RelayLimits } from '../net/index.ts'
import { LanDiscovery } from '../net/index.ts'
import type { LanDiscoveryInit } from '../net/index.ts'
import { OnionRelay, StandaloneRelay, loadGuards, onionRelayEntry, onionRelayKeyPair } from '../onion/index.ts'
import type { HiddenServiceInit, OnionClient, OnionRelayInit } from '../onion/index.ts'
import { createPluginRuntime } from '../plugins/index.ts'
import type { DuplexLike, PluginRuntime, RuntimeLogEntry } from '../plugins/index.ts'
import { TrustStore, createAppStore } from '../store/index.ts'
import type { AppStore } from '../store/index.ts'
import { AppSync } from './app-sync.ts'
import type { RunningApp } from './app-sync.ts'
import { createHostBridges } from './host-bridges.ts'
import { HostDialer } from './host-dialer.ts'
import { HostHiddenServices } from './host-hidden.ts'
import type { HiddenSpec } from './host-hidden.ts'
import type { IdlePolicy } from './idle-policy.ts'
import type { HostParts } from './host-parts.ts'
import { hostStatus } from './host-status.ts'
import type { HostStatus } from './host-status.ts'
import { backgroundCatch } from '../util/safety-catch.ts'
import { LOG } from '../constants.ts'

/**
 * The host: one identity, one HyperDHT node, the installed apps running as plugins, their
 * services listening on their own keys and advertised in the p2p DNS. A composition root: open()
 * builds the parts (host-parts.ts) in order, each given only what it uses; close() stops what
 * makes work (upgrades, syncs, plugins), then closes the rest in reverse order of building.
 */

export interface HostInit {
  home: string
  /** DHT bootstrap nodes; absent: the public HyperDHT network (unless `local`). */
  bootstrap?: NodeAddress[]
  /** Run an embedded DHT of this many nodes on loopback and join it. */
  local?: number
  /** With `local`: also run this many onion relays on it (each its own identity), so anonymous connections and hidden services work alone. */
  localOnionRelays?: number
  /** UDP port of the host's DHT node. */
  port?: number
  /** With `local`: the IPv4 address other machines reach the embedded network at (default: loopback only). */
  localHost?: string
  /** Find hosts on this link by multicast DNS and use them as DHT nodes (lan-discovery.ts). */
  lan?: LanDiscoveryInit | boolean
  /** With `local`: the UDP port of the embedded network's bootstrap node (default: any free port). */
  localPort?: number
  /** With `localPort`: when it is taken, use any free port instead of failing (a default port, not one the user named). */
  localPortFallback?: boolean
  logger?: Logger
  /** A logger the host made for itself (createHost's log file): used as `logger`, flushed by flushLog(), closed last by close(). */
  ownedLogger?: RootLogger
  policy?: Partial<ConnectionPolicy>
  refreshMs?: number
  restart?: { initialBackoffMs?: number; maxBackoffMs?: number; maxCrashes?: number; windowMs?: number }
  /** Offer this host as a blind relay for peers that cannot punch a hole (`start --relay`). */
  relay?: { port?: number; limits?: Partial<RelayLimits> }
  /** Relay keys (hex) to pair through before any found in the DHT. */
  relays?: string[]
  /** The DHT key-value store's options (replication, repair intervals, quotas). */
  kv?: KvServiceInit
  /** Offer this host as an onion relay (`start --onion-relay`), with these limits. */
  onionRelay?: boolean | OnionRelayInit
  /** Services reachable only anonymously, by a hidden key (`start --hidden`); see host-hidden.ts. */
  hidden?: HiddenSpec[]
  /** Options of those hidden services (intro points, publish interval). */
  hiddenInit?: HiddenServiceInit
  /** false: serve no app to other hosts, whatever serving.json says (`start --no-serve`). */
  serve?: boolean
  /** Serving limits (constants.ts SERVING by default). */
  servingLimits?: Partial<ServingLimits>
  /** How often to look for auto-upgrades, in ms (constants.ts AUTO_UPGRADE_INTERVAL_MS). */
  autoUpgradeMs?: number
  /** Serve Prometheus metrics at this address (`start --metrics`); absent: off. Port 0 picks a free one. */
  metrics?: MetricsAddress
  /** Apps run on demand: started by their first connection, stopped after an idle period (`start --idle-stop`; idle-policy.ts). */
  idle?: IdlePolicy
  /** Serve the live web page at this loopback address (`start --web`); absent: off. Port 0 picks a free one. */
  web?: WebAddress & { tickMs?: number; sampleMs?: number }
}

export type { RunningApp } from './app-sync.ts'
export type { HostParts } from './host-parts.ts'

/** After this long without a bootstrap answer, the log says it is still waiting. */
const BOOTSTRAP_SLOW_MS = 5000

export class Host {
  readonly paths: HomePaths
  readonly log: Logger
  readonly store: AppStore
  /** The embedded network's onion relays (`start --local`). */
  readonly localRelays: StandaloneRelay[] = []
  readonly apps = new Map<string, RunningApp>()
  readonly invalid = new Map<string, { code: string; message: string }>()
  /** service hash -> { app, service } */
  readonly routes = new Map<string, { app: string; service: string }>()
  readonly startedAt = new Date().toISOString()
  /** The parts built so far, filled in order by open(); complete once ready() resolved. */
  private readonly p: Partial<HostParts> = {}
  private opening: Promise<void> | null = null
  private closing: Promise<void> | null = null
  private expectsBootstrapAnswer = false

  constructor(readonly init: HostInit) {
    this.paths = homePaths(init.home)
    this.log = init.ownedLogger ?? init.logger ?? silentLogger()
    this.store = createAppStore({ dir: this.paths.store })
  }

  /** The parts built so far (the control operations answer "still starting" without one). */
  get built(): Readonly<Partial<HostParts>> {
    return this.p
  }

  /** Every part. @throws INTERNAL before ready() resolved */
  get parts(): Readonly<HostParts> {
    if (!this.p.bridges) throw HypernetError.INTERNAL('the host is not ready: its parts are used before ready() resolved')
    return this.p as HostParts
  }

  // each part by name, for callers and tests; a required part throws INTERNAL until it is built
  get identity(): KeyPair {
    return this.need('identity')
  }
  get dht(): DHT {
    return this.need('dht')
  }
  get pathTracker(): PathTracker {
    return this.need('pathTracker')
  }
  get kv(): KvService {
    return this.need('kv')
  }
  get relays(): RelayDirectory {
    return this.need('relays')
  }
  get runtime(): PluginRuntime {
    return this.need('runtime')
  }
  get hidden(): HostHiddenServices {
    return this.need('hidden')
  }
  get listener(): ServiceListener {
    return this.need('listener')
  }
  get advertiser(): Advertiser {
    return this.need('advertiser')
  }
  get appServer(): AppServer {
    return this.need('appServer')
  }
  get autoUpgrader(): AutoUpgrader {
    return this.need('autoUpgrader')
  }
  get bridges(): BridgeManager {
    return this.need('bridges')
  }
  /** Plugin dials by hash: one lookup per hash in flight, peers kept briefly, failing targets backed off. */
  get dialCache(): DialCache {
    return this.need('dialer').cache
  }
  // parts absent by configuration: null (also before they are built)
  get network(): LocalNetwork | null {
    return this.p.network ?? null
  }
  get relay(): RelayServer | null {
    return this.p.relay ?? null
  }
  get onionRelay(): OnionRelay | null {
    return this.p.onionRelay ?? null
  }
  /** The mesh swarm (host/mesh): its own DHT node starts when the first plugin joins a mesh. */
  get mesh(): MeshSwarm | null {
    return this.p.mesh ?? null
  }
  /** Hosts on this link found by multicast DNS (`lan.enabled`), or null. */
  get lan(): LanDiscovery | null {
    return this.p.lan ?? null
  }
  /** The Prometheus endpoint (`start --metrics`), or null. */
  get metrics(): MetricsServer | null {
    return this.p.metrics ?? null
  }
  /** The live web page (`start --web`), or null. */
  get web(): WebServer | null {
    return this.p.web ?? null
  }
  /** Made on first use: a plugin's anonymous dial, a hidden service. */
  get onionClient(): OnionClient | null {
    return this.p.dialer?.onionClient ?? null
  }

  private need<K extends keyof HostParts>(name: K): NonNullable<HostParts[K]> {
    const part = this.p[name]
    if (part === undefined || part === null) throw HypernetError.INTERNAL(`the host's ${name} is used before it is built (before ready() resolved)`)
    return part as NonNullable<HostParts[K]>
  }

  /** Record a part as built and return it. */
  private add<K extends keyof HostParts, V extends HostParts[K]>(name: K, part: V): V {
    this.p[name] = part
    return part
  }

  ready(): Promise<void> {
    this.opening ??= this.open()
    return this.opening
  }

  private async open(): Promise<void> {
    const { init, log, paths } = this
    const identity = this.add('identity', await loadOrCreateKeyFile(paths.identity))
    await this.store.ready()
    // the metrics read the status, which answers while the host starts
    const metrics = this.add(
      'metrics',
      init.metrics ? new MetricsServer({ status: () => this.status(), dhtStats: () => this.p.dht?.stats ?? null, log }, init.metrics) : null
    )
    await metrics?.ready()
    const web = this.add(
      'web',
      init.web
        ? new WebServer(
            { status: () => this.status(), log },
            { address: { host: init.web.host, port: init.web.port }, tokenFile: paths.webToken, tickMs: init.web.tickMs, sampleMs: init.web.sampleMs }
          )
        : null
    )
    await web?.ready()
    const savedGuards = await loadGuards(paths.guards)
    let bootstrap = init.bootstrap
    this.add('network', null)
    if (init.local) {
      const network = this.add('network', await this.startLocalNetwork(init.local))
      bootstrap = network.bootstrap
      log.info('embedded local network started', { bootstrap: network.address, nodes: init.local })
      for (let i = 0; i < (init.localOnionRelays ?? 0); i++) {
        // infrastructure of the demo network, not this host's relay: one summary line below
        const r = new StandaloneRelay(network.bootstrap)
        this.localRelays.push(r)
        await r.ready()
      }
      if (this.localRelays.length) log.info('onion relays on the embedded network', { relays: this.localRelays.length })
    }
    const dht = await this.joinDht(bootstrap)
    if (this.closing) throw HypernetError.INTERNAL('the host was closed while it was starting')
    log.info('dht node ready', { host: formatId(identity.publicKey), firewalled: dht.firewalled })
    if (this.noBootstrapAnswer)
      log.warn(
        'no bootstrap node answered: this host runs alone, unreachable by peers, until the network comes back (is this machine offline? check --bootstrap)'
      )
    const lan = this.add(
      'lan',
      init.lan ? new LanDiscovery({ dht, log, hostKey: formatId(identity.publicKey) }, typeof init.lan === 'object' ? init.lan : {}) : null
    )
    await lan?.ready()
    const pathTracker = this.add('pathTracker', new PathTracker(dht))
    // the DHT store: its plugin on this node (and on an embedded network's), and the republisher
    for (const node of this.p.network?.nodes ?? []) registerKvPlugin(node, init.kv)
    const kv = this.add('kv', new KvService({ dht, identity, paths, log }, init.kv))
    await kv.ready()
    const relay = this.add(
      'relay',
      init.relay
        ? new RelayServer(relayKeyPair(identity.secretKey), log, {
            bootstrap,
            port: init.relay.port,
            limits: init.relay.limits,
            host: this.loopbackOnly ? '127.0.0.1' : undefined,
            denied: () => this.p.listener?.policy.deny ?? new Set()
          })
        : null
    )
    await relay?.ready()
    const relays = this.add('relays', new RelayDirectory(dht, log, { exclude: relay ? [formatId(relay.keyPair.publicKey)] : [], pinned: init.relays }))
    await relays.ready()
    const onionRelay = this.add(
      'onionRelay',
      init.onionRelay
        ? new OnionRelay(dht, onionRelayKeyPair(identity.secretKey), { logger: log, ...(typeof init.onionRelay === 'object' ? init.onionRelay : {}) })
        : null
    )
    await onionRelay?.ready()
    const dialer = this.add(
      'dialer',
      new HostDialer({
        dht,
        identity,
        relays,
        log,
        guardsFile: paths.guards,
        savedGuards,
        ownServiceKeys: () => this.ownServiceKeys(),
        ownService: (hash) => this.ownService(hash)
      })
    )
    const mesh = this.add(
      'mesh',
      createMeshSwarm({
        identity,
        log,
        createDht: () => new DHT({ bootstrap, host: init.local ? '127.0.0.1' : undefined }),
        vouches: (hostKey, hash) => vouchesFor(dht, hostKey, hash)
      })
    )
    await mesh.ready()
    const runtime = this.add(
      'runtime',
      createPluginRuntime(
        {
          dial: (t, app, signal) => dialer.dial(t, app.name, signal),
          mesh: (t, app, onPeer) => {
            log.info('plugin joined a mesh', { app: app.name, target: t.raw })
            return mesh.join(t.serviceHash, onPeer)
          },
          logger: (e) => this.onRuntimeLog(e)
        },
        { storageDir: paths.data, restart: init.restart }
      )
    )
    runtime.on('state', () => void this.readvertise().catch(backgroundCatch(log, 'readvertise')))
    await runtime.ready()
    const hidden = this.add(
      'hidden',
      new HostHiddenServices(
        init.hidden ?? [],
        { identity, log, onion: () => dialer.onion(), route: (app, service, stream) => runtime.handleConnection(app, service, stream) },
        init.hiddenInit
      )
    )
    const listener = this.add(
      'listener',
      new ServiceListener(
        dht,
        (hash, stream) => this.route(hash, stream),
        log,
        { ...DEFAULT_POLICY, allow: new Set(), deny: new Set(), ...init.policy },
        {
          // a host whose NAT randomizes ports offers a relay to its clients at once (as Hyperswarm does)
          relayThrough: () => (dht.randomized ? (relays.pickKnown() ?? null) : null)
        }
      )
    )
    await listener.ready()
    const advertiser = this.add('advertiser', new Advertiser(dht, identity, log, { refreshMs: init.refreshMs }))
    await advertiser.ready()
    this.add(
      'appSync',
      new AppSync({
        store: this.store,
        firewallFile: paths.firewall,
        log,
        runtime,
        listener,
        advertiser,
        hidden,
        serviceKeyPair: (h) => this.serviceKeyPair(h),
        extraEntries: () => (onionRelay ? [onionRelayEntry(identity.publicKey, onionRelay.publicKey)] : []),
        apps: this.apps,
        invalid: this.invalid,
        routes: this.routes,
        closing: () => this.closing !== null,
        idle: init.idle
      })
    )
    await this.sync()
    const serving = new ServingStore(paths.serving)
    const appServer = this.add(
      'appServer',
      new AppServer(
        {
          dht,
          identity,
          log,
          app: (hash) => {
            for (const a of this.apps.values()) if (a.installed.codeHash === hash) return { name: a.manifest.app.name, manifest: a.manifest, wasm: a.wasm }
            return null
          },
          serving: () => (init.serve === false ? { enabled: false, off: [] } : serving.read()),
          denied: () => listener.policy.deny
        },
        init.servingLimits
      )
    )
    await appServer.ready()
    const autoUpgrader = this.add(
      'autoUpgrader',
      new AutoUpgrader(
        {
          dht,
          store: this.store,
          trust: new TrustStore(paths.trust),
          log,
          exclude: () => new Set([formatId(identity.publicKey)]),
          applied: () => this.sync()
        },
        { intervalMs: init.autoUpgradeMs }
      )
    )
    await autoUpgrader.ready()
    const bridges = createHostBridges({
      identity,
      log,
      dht,
      dialer,
      listener,
      advertiser,
      hidden,
      pathTracker,
      bridgesFile: paths.bridges,
      ownServiceKeys: () => this.ownServiceKeys(),
      ownService: (hash) => this.ownService(hash),
      serviceKeyPair: (h) => this.serviceKeyPair(h),
      appServices: () => new Map([...this.routes.values()].map((r) => [r.service, r.app]))
    })
    await bridges.ready()
    this.add('bridges', bridges) // the last part: from here on `parts` answers
  }

  /** The embedded network, on `localPort` if free (else, with `localPortFallback`, anywhere). @throws ADDRESS_IN_USE */
  private async startLocalNetwork(size: number): Promise<LocalNetwork> {
    const port = this.init.localPort
    try {
      return await startLocalNetwork(size, port, this.init.localHost)
    } catch (err) {
      if (!(isHypernetError(err, 'ADDRESS_IN_USE') && this.init.localPortFallback)) throw err
      this.log.warn(`UDP port ${port} is taken (another embedded network?): this one uses a free port instead; choose one with --local-port`)
      return startLocalNetwork(size, undefined, this.init.localHost)
    }
  }

  /**
   * Bind the DHT node (an explicit port that is taken fails here, before the wait) and wait for
   * its bootstrap, saying what it waits for: with no answer that takes seconds, and a silent
   * start reads as a hang. The node is a part from the bind on, so a close() during the wait destroys it.
   * @throws ADDRESS_IN_USE
   */
  private async joinDht(bootstrap: NodeAddress[] | undefined): Promise<DHT> {
    const dht = this.add('dht', await bindDhtNode({ bootstrap, port: this.init.port, host: this.loopbackOnly ? '127.0.0.1' : undefined }))
    const from = this.p.network
      ? 'the embedded local network'
      : bootstrap
        ? bootstrap.map((b) => `${b.host}:${b.port}`).join(', ') || 'nobody (first node of a new network)'
        : 'the public HyperDHT network'
    this.log.info(`joining the DHT: waiting for a bootstrap node to answer (${from})`)
    const slow = setTimeout(() => this.log.warn('no bootstrap node has answered yet; still waiting (no network?)', { bootstrap: from }), BOOTSTRAP_SLOW_MS)
    try {
      await dht.ready()
    } finally {
      clearTimeout(slow)
    }
    this.expectsBootstrapAnswer = bootstrap === undefined || bootstrap.length > 0
    return dht
  }

  /** An embedded network served on loopback only: the host's own sockets stay there too. */
  private get loopbackOnly(): boolean {
    return Boolean(this.init.local) && !this.init.localHost
  }

  /** True when the node has bootstrapped without a single DHT node answering (offline). */
  get noBootstrapAnswer(): boolean {
    const dht = this.p.dht
    return Boolean(dht && dht.bootstrapped && this.expectsBootstrapAnswer && dht.toArray().length === 0)
  }

  /**
   * Bring running apps in line with the store: start new or upgraded apps, stop removed ones
   * (app-sync.ts). Before the host is ready, nothing to do.
   */
  sync(): Promise<void> {
    return this.p.appSync?.sync() ?? Promise.resolve()
  }

  private readvertise(): Promise<void> {
    return this.p.appSync?.readvertise() ?? Promise.resolve()
  }

  /** The service keys of this host's apps (hex): what it never dials by hash, so it never reaches itself. */
  ownServiceKeys(): Set<string> {
    return new Set([...this.routes.keys()].map((h) => formatId(this.serviceKeyPair(h).publicKey)))
  }

  /** The app of this host that serves `serviceHash`, and its service key; null when none does. */
  ownService(serviceHash: Buffer): { app: string; key: Buffer } | null {
    const r = this.routes.get(formatId(serviceHash))
    return r ? { app: r.app, key: this.serviceKeyPair(formatId(serviceHash)).publicKey } : null
  }

  /** The key pair a service listens on: stable across restarts (see service-keys.ts). @throws INTERNAL before the identity is loaded */
  serviceKeyPair(serviceHash: string): KeyPair {
    return deriveServiceKeyPair(this.need('identity').secretKey, Buffer.from(serviceHash, 'hex'))
  }

  private route(serviceHash: string, stream: DuplexLike): void {
    const bridges = this.p.bridges
    if (bridges?.has(serviceHash)) return bridges.accept(serviceHash, stream as SecretStream)
    const r = this.routes.get(serviceHash)
    if (!r) {
      stream.destroy(HypernetError.NOT_FOUND(`service ${serviceHash} is not running here`))
      return
    }
    this.need('runtime').handleConnection(r.app, r.service, stream)
  }

  /** The host's onion client (host-dialer.ts): circuits never run through this host's own relay. */
  onion(): OnionClient {
    return this.need('dialer').onion()
  }

  private onRuntimeLog(e: RuntimeLogEntry): void {
    const fields = { app: e.app, kind: e.kind, ...(e.state ? { state: e.state } : {}), ...(e.code ? { code: e.code } : {}) }
    this.log[e.level](e.msg, fields)
  }

  /** Restart a plugin (the way out of `failed`). @throws APP_NOT_FOUND */
  async restartApp(name: string): Promise<void> {
    await this.need('runtime').restart(name)
    await this.readvertise()
  }

  /**
   * Open a stream to a service key: direct when a hole can be punched, else through a relay.
   * @throws CONNECTION_FAILED
   */
  connect(serviceKey: Buffer, timeoutMs?: number, signal?: AbortSignal): Promise<SecretStream> {
    return this.need('dialer').connect(serviceKey, timeoutMs, signal)
  }

  status(): HostStatus {
    return hostStatus({
      parts: this.p,
      home: this.paths.home,
      startedAt: this.startedAt,
      bootstrap: this.init.bootstrap,
      hiddenAsked: this.init.hidden?.length ?? 0,
      noBootstrapAnswer: this.noBootstrapAnswer,
      localOnionRelays: this.localRelays.length,
      apps: this.apps,
      invalid: this.invalid,
      serviceKeyPair: (h) => this.serviceKeyPair(h)
    })
  }

  close(): Promise<void> {
    this.closing ??= (async () => {
      const p = this.p
      // a node still waiting for its bootstrap is destroyed at once, so a stop during start is prompt
      if (p.dht && !p.dht.bootstrapped) await p.dht.destroy()
      await this.opening?.catch(() => {})
      // the metrics first: no scrape reads parts while they close
      await p.metrics?.close()
      await p.web?.close()
      // then what makes work: upgrades, syncs, then the plugins, so whatever a busy plugin has
      // going (dials, streams) ends before what it uses closes
      await p.autoUpgrader?.close()
      await p.appSync?.settled()
      await p.runtime?.close()
      await p.mesh?.close()
      // then the rest, in reverse order of building
      await p.bridges?.close()
      await p.appServer?.close()
      await p.advertiser?.close()
      await p.listener?.close()
      await p.hidden?.close()
      await p.dialer?.close()
      await p.onionRelay?.close()
      p.relays?.close()
      await p.relay?.close()
      await p.kv?.close()
      p.pathTracker?.close()
      await p.lan?.close()
      await p.dht?.destroy()
      for (const r of [...this.localRelays].reverse()) await r.close()
      await p.network?.close()
      this.log.info('host stopped')
      await this.init.ownedLogger?.close()
    })()
    return this.closing
  }

  /** Write the log's pending lines now, synchronously: for the last lines before a crash. */
  flushLog(): void {
    this.init.ownedLogger?.flushSync()
  }
}

/**
 * Create a host for a home folder, logging JSON lines to `<home>/logs/host.log` (rotated by
 * size: LOG in constants.ts, or `logRotation`) and readable lines to `terminal`, both at
 * `logLevel` (default info; `verbose` is debug).
 */
export function createHost(
  init: HostInit & { terminal?: NodeJS.WritableStream; verbose?: boolean; logLevel?: Level; logRotation?: { maxBytes?: number; files?: number } }
): Host {
  if (init.logger) return new Host(init)
  const level: Level = init.verbose ? 'debug' : (init.logLevel ?? LOG.level)
  const ownedLogger = createLogger({
    file: join(homePaths(init.home).logs, 'host.log'),
    fileLevel: level,
    ...init.logRotation,
    terminal: init.terminal,
    terminalLevel: level
  })
  return new Host({ ...init, ownedLogger })
}
