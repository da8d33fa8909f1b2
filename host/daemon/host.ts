import { join } from 'node:path'
import type DHT from 'hyperdht'
import type { KeyPair, NodeAddress } from 'hyperdht'
import { Advertiser } from '../dns/index.ts'
import { formatId } from '../encoding/ids.ts'
import { HypernetError, isHypernetError } from '../errors.ts'
import { homePaths } from '../home.ts'
import type { HomePaths } from '../home.ts'
import { loadOrCreateKeyFile } from '../keys/index.ts'
import { createLogger, silentLogger } from '../log/index.ts'
import type { Logger } from '../log/index.ts'
import { bindDhtNode, startLocalNetwork } from '../net/index.ts'
import type { LocalNetwork } from '../net/index.ts'
import { dialServiceHash } from '../net/index.ts'
import { DialCache, abortable } from '../net/index.ts'
import { lookupVerified } from '../dns/index.ts'
import type { LookupPeer } from '../dns/index.ts'
import { deriveServiceKeyPair } from '../net/index.ts'
import { DEFAULT_POLICY, ServiceListener } from '../net/index.ts'
import type { ConnectionPolicy } from '../net/index.ts'
import { createPluginRuntime } from '../plugins/index.ts'
import type { DialTarget, DuplexLike, PluginRuntime, RuntimeLogEntry } from '../plugins/index.ts'
import { createAppStore } from '../store/index.ts'
import type { AppStore } from '../store/index.ts'
import { AppSync } from './app-sync.ts'
import type { RunningApp } from './app-sync.ts'
import { hostStatus } from './host-status.ts'
import type { BridgeManager } from '../bridge/index.ts'
import { PathTracker } from '../net/index.ts'
import { connectWithRelay } from '../net/index.ts'
import { RelayDirectory } from '../net/index.ts'
import { RelayServer, relayKeyPair } from '../net/index.ts'
import type { RelayLimits } from '../net/index.ts'
import type { SecretStream } from 'hyperdht'
import { createHostBridges } from './host-bridges.ts'
import { registerKvPlugin } from '../kv/index.ts'
import { KvService } from '../kv/index.ts'
import type { KvServiceInit } from '../kv/index.ts'
import type { HostStatus } from './host-status.ts'
import { OnionClient, OnionRelay, StandaloneRelay, connectHidden, dialAnonymous, onionRelayEntry, onionRelayKeyPair } from '../onion/index.ts'
import { ANONYMOUS_PREFIX, HIDDEN_PREFIX } from '../plugins/index.ts'
import type { HiddenServiceInit, OnionRelayInit } from '../onion/index.ts'
import { HostHiddenServices } from './host-hidden.ts'
import { loadGuards, saveGuards } from '../onion/index.ts'
import type { GuardRecord } from '../onion/index.ts'
import { DIAL_CACHE, ONION } from '../constants.ts'
import type { HiddenSpec } from './host-hidden.ts'
import { AppServer, AutoUpgrader, ServingStore } from '../apps/index.ts'
import { TrustStore } from '../store/index.ts'
import type { ServingLimits } from '../apps/index.ts'

/**
 * The host: one identity, one HyperDHT node, the installed apps running as plugins, their
 * services listening on their own keys and advertised in the p2p DNS. Parts are created in
 * order in ready() and closed in reverse in close().
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
  /** With `local`: the UDP port of the embedded network's bootstrap node (default: any free port). */
  localPort?: number
  /** With `localPort`: when it is taken, use any free port instead of failing (a default port, not one the user named). */
  localPortFallback?: boolean
  logger?: Logger
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
}

export type { RunningApp } from './app-sync.ts'

/** After this long without a bootstrap answer, the log says it is still waiting. */
const BOOTSTRAP_SLOW_MS = 5000

export class Host {
  readonly paths: HomePaths
  readonly log: Logger
  identity: KeyPair | null = null
  dht: DHT | null = null
  network: LocalNetwork | null = null
  store: AppStore
  runtime: PluginRuntime | null = null
  listener: ServiceListener | null = null
  advertiser: Advertiser | null = null
  pathTracker: PathTracker | null = null
  relay: RelayServer | null = null
  relays: RelayDirectory | null = null
  bridges: BridgeManager | null = null
  kv: KvService | null = null
  onionRelay: OnionRelay | null = null
  /** Made on first use: a plugin's anonymous dial, a hidden service. */
  onionClient: OnionClient | null = null
  hidden: HostHiddenServices | null = null
  /** Serves the manifests and code of the running apps to other hosts (the apps protocol). */
  appServer: AppServer | null = null
  /** Takes permission-neutral upgrades of apps whose publisher is trusted with --auto-upgrade. */
  autoUpgrader: AutoUpgrader | null = null
  /** The embedded network's onion relays (`start --local`). */
  readonly localRelays: StandaloneRelay[] = []
  readonly apps = new Map<string, RunningApp>()
  readonly invalid = new Map<string, { code: string; message: string }>()
  /** service hash -> { app, service } */
  readonly routes = new Map<string, { app: string; service: string }>()
  readonly startedAt = new Date().toISOString()
  private opening: Promise<void> | null = null
  private closing: Promise<void> | null = null
  private savedGuards: GuardRecord[] = []
  private guardWrites: Promise<void> = Promise.resolve()
  private appSync: AppSync | null = null
  private expectsBootstrapAnswer = false
  /** Plugin dials by hash: one lookup per hash in flight, peers kept briefly, failing targets backed off. */
  readonly dialCache = new DialCache((hash) => this.collectPeers(hash))

  constructor(readonly init: HostInit) {
    this.paths = homePaths(init.home)
    this.log = init.logger ?? silentLogger()
    this.store = createAppStore({ dir: this.paths.store })
  }

  ready(): Promise<void> {
    this.opening ??= this.open()
    return this.opening
  }

  private async open(): Promise<void> {
    this.identity = await loadOrCreateKeyFile(this.paths.identity)
    await this.store.ready()
    this.savedGuards = await loadGuards(this.paths.guards)
    let bootstrap = this.init.bootstrap
    if (this.init.local) {
      this.network = await this.startLocalNetwork(this.init.local)
      bootstrap = this.network.bootstrap
      this.log.info('embedded local network started', { bootstrap: this.network.address, nodes: this.init.local })
      for (let i = 0; i < (this.init.localOnionRelays ?? 0); i++) {
        // infrastructure of the demo network, not this host's relay: one summary line below
        const r = new StandaloneRelay(this.network.bootstrap)
        this.localRelays.push(r)
        await r.ready()
      }
      if (this.localRelays.length) this.log.info('onion relays on the embedded network', { relays: this.localRelays.length })
    }
    this.dht = await this.joinDht(bootstrap)
    if (this.closing) throw HypernetError.INTERNAL('the host was closed while it was starting')
    this.log.info('dht node ready', { host: formatId(this.identity.publicKey), firewalled: this.dht.firewalled })
    if (this.noBootstrapAnswer) this.log.warn('no bootstrap node answered: this host runs alone, unreachable by peers, until the network comes back (is this machine offline? check --bootstrap)')
    this.pathTracker = new PathTracker(this.dht)
    // the DHT store: its plugin on this node (and on an embedded network's), and the republisher
    for (const node of this.network?.nodes ?? []) registerKvPlugin(node, this.init.kv)
    this.kv = new KvService({ dht: this.dht, identity: this.identity, paths: this.paths, log: this.log }, this.init.kv)
    await this.kv.ready()
    if (this.init.relay) {
      const { port, limits } = this.init.relay
      this.relay = new RelayServer(relayKeyPair(this.identity.secretKey), this.log, { bootstrap, port, limits, host: this.init.local ? '127.0.0.1' : undefined, denied: () => this.listener?.policy.deny ?? new Set() })
      await this.relay.ready()
    }
    this.relays = new RelayDirectory(this.dht, this.log, { exclude: this.relay ? [formatId(this.relay.keyPair.publicKey)] : [], pinned: this.init.relays })
    await this.relays.ready()
    this.runtime = createPluginRuntime(
      { dial: (t, app, signal) => this.dial(t, app.name, signal), logger: (e) => this.onRuntimeLog(e) },
      { storageDir: this.paths.data, restart: this.init.restart }
    )
    this.runtime.on('state', () => void this.readvertise())
    await this.runtime.ready()
    this.listener = new ServiceListener(this.dht, (hash, stream) => this.route(hash, stream), this.log, { ...DEFAULT_POLICY, allow: new Set(), deny: new Set(), ...this.init.policy }, {
      // a host whose NAT randomizes ports offers a relay to its clients at once (as Hyperswarm does)
      relayThrough: () => (this.dht?.randomized ? (this.relays?.pickKnown() ?? null) : null)
    })
    await this.listener.ready()
    if (this.init.onionRelay) {
      const opts = typeof this.init.onionRelay === 'object' ? this.init.onionRelay : {}
      this.onionRelay = new OnionRelay(this.dht, onionRelayKeyPair(this.identity.secretKey), { logger: this.log, ...opts })
      await this.onionRelay.ready()
    }
    const identity = this.identity
    this.hidden = new HostHiddenServices(this.init.hidden ?? [], {
      identity,
      log: this.log,
      onion: () => this.onion(),
      route: (app, service, stream) => this.runtime!.handleConnection(app, service, stream)
    }, this.init.hiddenInit)
    this.advertiser = new Advertiser(this.dht, this.identity, this.log, { refreshMs: this.init.refreshMs })
    await this.advertiser.ready()
    this.appSync = new AppSync({
      store: this.store,
      firewallFile: this.paths.firewall,
      log: this.log,
      runtime: this.runtime,
      listener: this.listener,
      advertiser: this.advertiser,
      hidden: this.hidden,
      serviceKeyPair: (h) => this.serviceKeyPair(h),
      extraEntries: () => (this.onionRelay ? [onionRelayEntry(identity.publicKey, this.onionRelay.publicKey)] : []),
      apps: this.apps,
      invalid: this.invalid,
      routes: this.routes,
      closing: () => this.closing !== null
    })
    await this.sync()
    const serving = new ServingStore(this.paths.serving)
    this.appServer = new AppServer({
      dht: this.dht,
      identity,
      log: this.log,
      app: (hash) => {
        for (const a of this.apps.values()) if (a.installed.codeHash === hash) return { name: a.manifest.app.name, manifest: a.manifest, wasm: a.wasm }
        return null
      },
      serving: () => (this.init.serve === false ? { enabled: false, off: [] } : serving.read()),
      denied: () => this.listener?.policy.deny ?? new Set()
    }, this.init.servingLimits)
    await this.appServer.ready()
    this.autoUpgrader = new AutoUpgrader({
      dht: this.dht,
      store: this.store,
      trust: new TrustStore(this.paths.trust),
      log: this.log,
      exclude: () => new Set([formatId(identity.publicKey)]),
      applied: () => this.sync()
    }, { intervalMs: this.init.autoUpgradeMs })
    await this.autoUpgrader.ready()
    this.bridges = createHostBridges(this)
    await this.bridges.ready()
  }

  /** The embedded network, on `localPort` if free (else, with `localPortFallback`, anywhere). @throws ADDRESS_IN_USE */
  private async startLocalNetwork(size: number): Promise<LocalNetwork> {
    const port = this.init.localPort
    try {
      return await startLocalNetwork(size, port)
    } catch (err) {
      if (!(isHypernetError(err, 'ADDRESS_IN_USE') && this.init.localPortFallback)) throw err
      this.log.warn(`UDP port ${port} is taken (another embedded network?): this one uses a free port instead; choose one with --local-port`)
      return startLocalNetwork(size)
    }
  }

  /**
   * Bind the DHT node (an explicit port that is taken fails here, before the wait) and wait for
   * its bootstrap, saying what it waits for: with no answer that takes seconds, and a silent
   * start reads as a hang.
   * @throws ADDRESS_IN_USE
   */
  private async joinDht(bootstrap: NodeAddress[] | undefined): Promise<DHT> {
    const dht = await bindDhtNode({ bootstrap, port: this.init.port, host: this.init.local ? '127.0.0.1' : undefined })
    this.dht = dht
    const from = this.network ? 'the embedded local network' : bootstrap ? bootstrap.map((b) => `${b.host}:${b.port}`).join(', ') || 'nobody (first node of a new network)' : 'the public HyperDHT network'
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

  /** True when the node has bootstrapped without a single DHT node answering (offline). */
  get noBootstrapAnswer(): boolean {
    const dht = this.dht
    return Boolean(dht && dht.bootstrapped && this.expectsBootstrapAnswer && dht.toArray().length === 0)
  }

  /**
   * Bring running apps in line with the store: start new or upgraded apps, stop removed ones
   * (app-sync.ts). Before the host is ready, nothing to do.
   */
  sync(): Promise<void> {
    return this.appSync?.sync() ?? Promise.resolve()
  }

  private readvertise(): Promise<void> {
    return this.appSync?.readvertise() ?? Promise.resolve()
  }

  /** The service keys of this host's apps (hex): what it never dials by hash, so it never reaches itself. */
  ownServiceKeys(): Set<string> {
    return new Set([...this.routes.keys()].map((h) => formatId(this.serviceKeyPair(h).publicKey)))
  }

  /** The key pair a service listens on: stable across restarts (see service-keys.ts). */
  serviceKeyPair(serviceHash: string): KeyPair {
    return deriveServiceKeyPair(this.identity!.secretKey, Buffer.from(serviceHash, 'hex'))
  }

  private route(serviceHash: string, stream: DuplexLike): void {
    if (this.bridges?.has(serviceHash)) return this.bridges.accept(serviceHash, stream as SecretStream)
    const r = this.routes.get(serviceHash)
    if (!r) {
      stream.destroy(HypernetError.NOT_FOUND(`service ${serviceHash} is not running here`))
      return
    }
    this.runtime!.handleConnection(r.app, r.service, stream)
  }

  /**
   * A plugin's dial. A target that failed recently fails again at once, with its last error,
   * until its backoff ends (DialCache); `signal` gives the dial up (the plugin closed it or
   * stopped), destroying whatever was being opened.
   */
  private async dial(target: DialTarget, app: string, signal: AbortSignal): Promise<DuplexLike> {
    const kind = target.raw.startsWith(HIDDEN_PREFIX) ? HIDDEN_PREFIX : target.raw.startsWith(ANONYMOUS_PREFIX) ? ANONYMOUS_PREFIX : ''
    const key = `${kind}${formatId(target.serviceHash)}${target.serviceKey ? `@${formatId(target.serviceKey)}` : ''}`
    this.dialCache.check(key)
    try {
      const stream = await this.dialOnce(target, app, signal)
      this.dialCache.succeeded(key)
      return stream
    } catch (err) {
      this.dialCache.failed(key, err)
      throw err
    }
  }

  private async dialOnce(target: DialTarget, app: string, signal: AbortSignal): Promise<DuplexLike> {
    if (target.raw.startsWith(HIDDEN_PREFIX)) return abortable(this.dialHidden(target.serviceKey!, app), signal, destroyLate)
    if (target.raw.startsWith(ANONYMOUS_PREFIX)) return abortable(this.dialAnonymously(target, app), signal, destroyLate)
    if (target.serviceKey) return this.connect(target.serviceKey, undefined, signal)
    const peers = await this.dialCache.peers(target.serviceHash, signal)
    try {
      const { stream, peer } = await dialServiceHash(this.dht!, target.serviceHash, { peers, exclude: this.ownServiceKeys(), connect: (k, ms, sig) => this.connect(k, ms, sig), signal })
      this.log.debug('plugin connected out', { app, target: target.raw, host: peer.hostKey })
      return stream
    } catch (err) {
      this.dialCache.forgetPeers(target.serviceHash) // a peer that no longer answers: look again next time
      throw err
    }
  }

  /** The verified peers of `hash` (at most DIAL_CACHE.maxPeers), for the dial cache. */
  private async collectPeers(hash: Buffer): Promise<LookupPeer[]> {
    const peers: LookupPeer[] = []
    for await (const p of lookupVerified(this.dht!, hash, { limit: DIAL_CACHE.maxPeers })) peers.push(p)
    return peers
  }

  /** A plugin's anonymous dial: a fresh onion circuit, never through this host's own relay. */
  private async dialAnonymously(target: DialTarget, app: string): Promise<DuplexLike> {
    const stream = await dialAnonymous(this.dht!, this.onion(), target, this.ownServiceKeys())
    stream.on('error', () => {}) // the runtime attaches its own listeners once this resolves
    this.log.info('plugin connected out anonymously', { app })
    return stream
  }

  /** A plugin's dial to a hidden service (`hidden/<key>`): a rendezvous, end-to-end encrypted. */
  private async dialHidden(key: Buffer, app: string): Promise<DuplexLike> {
    const { stream } = await connectHidden(this.onion(), key)
    this.log.info('plugin connected to a hidden service', { app })
    return stream
  }

  /** The host's onion client: circuits never run through this host's own relay. */
  onion(): OnionClient {
    this.onionClient ??= new OnionClient(this.dht!, {
      excludeHosts: [formatId(this.identity!.publicKey)],
      guards: ONION.hostGuards,
      prebuilt: ONION.hostPrebuilt,
      savedGuards: this.savedGuards,
      // kept in the home, in order, so a restart goes on with the same first hops
      onGuards: (guards) => {
        this.guardWrites = this.guardWrites
          .then(() => saveGuards(this.paths.guards, guards))
          .catch((err: Error) => this.log.warn('could not save the onion guards', { error: err.message }))
      }
    })
    return this.onionClient
  }

  private onRuntimeLog(e: RuntimeLogEntry): void {
    const fields = { app: e.app, kind: e.kind, ...(e.state ? { state: e.state } : {}), ...(e.code ? { code: e.code } : {}) }
    this.log[e.level](e.msg, fields)
  }

  /** Restart a plugin (the way out of `failed`). @throws APP_NOT_FOUND */
  async restartApp(name: string): Promise<void> {
    await this.runtime!.restart(name)
    await this.readvertise()
  }

  /**
   * Open a stream to a service key: direct when a hole can be punched, else through a relay.
   * @throws CONNECTION_FAILED
   */
  connect(serviceKey: Buffer, timeoutMs?: number, signal?: AbortSignal): Promise<SecretStream> {
    return connectWithRelay(this.dht!, serviceKey, { relays: this.relays, timeoutMs, signal })
  }

  status(): HostStatus {
    return hostStatus(this)
  }

  close(): Promise<void> {
    this.closing ??= (async () => {
      // a node still waiting for its bootstrap is destroyed at once, so a stop during start is prompt
      if (this.dht && !this.dht.bootstrapped) await this.dht.destroy()
      await this.opening?.catch(() => {})
      await this.autoUpgrader?.close()
      await this.appSync?.settled()
      // plugins first: whatever a busy plugin has going (dials, streams) ends before the rest closes
      await this.runtime?.close()
      this.dialCache.clear()
      await this.bridges?.close()
      await this.appServer?.close()
      await this.advertiser?.close()
      await this.listener?.close()
      await this.hidden?.close()
      await this.onionClient?.close()
      await this.guardWrites
      await this.onionRelay?.close()
      this.relays?.close()
      await this.relay?.close()
      await this.kv?.close()
      this.pathTracker?.close()
      await this.dht?.destroy()
      for (const r of [...this.localRelays].reverse()) await r.close()
      await this.network?.close()
      this.log.info('host stopped')
    })()
    return this.closing
  }
}

/** A stream that opened after its dial was given up is destroyed, not leaked. */
function destroyLate(stream: DuplexLike): void {
  stream.on('error', () => {})
  stream.destroy()
}

/** Create a host for a home folder, logging JSON lines to `<home>/logs/host.log`. */
export function createHost(init: HostInit & { terminal?: NodeJS.WritableStream; verbose?: boolean }): Host {
  const logger =
    init.logger ??
    createLogger({ file: join(homePaths(init.home).logs, 'host.log'), terminal: init.terminal, terminalLevel: init.verbose ? 'debug' : 'info' })
  return new Host({ ...init, logger })
}
