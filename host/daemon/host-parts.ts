import type DHT from 'hyperdht'
import type { KeyPair } from 'hyperdht'
import type { AppServer, AutoUpgrader } from '../apps/index.ts'
import type { BridgeManager } from '../bridge/index.ts'
import type { Advertiser } from '../dns/index.ts'
import type { KvService } from '../kv/index.ts'
import type { MetricsServer } from '../metrics/index.ts'
import type { WebServer } from '../web/index.ts'
import type { LocalNetwork, PathTracker, RelayDirectory, RelayServer, ServiceListener } from '../net/index.ts'
import type { OnionRelay } from '../onion/index.ts'
import type { PluginRuntime } from '../plugins/index.ts'
import type { MeshSwarm } from '../mesh/index.ts'
import type { LanDiscovery } from '../net/index.ts'
import type { AppSync } from './app-sync.ts'
import type { HostDialer } from './host-dialer.ts'
import type { HostHiddenServices } from './host-hidden.ts'

/**
 * The parts of a host, in the order host.ts builds them (and closes them in reverse). Each is
 * set once built; the ones that may be absent by configuration are null, never undefined.
 * Helpers take a Pick of this, never the Host.
 */
export interface HostParts {
  identity: KeyPair
  /** The Prometheus endpoint (`start --metrics`), or null: built right after the identity, so a taken address fails the start at once. */
  metrics: MetricsServer | null
  /** The live web page (`start --web`), or null: built with the metrics, for the same reason. */
  web: WebServer | null
  /** The embedded network (`start --local`), or null. */
  network: LocalNetwork | null
  dht: DHT
  /** Hosts on this link found by multicast DNS (`lan.enabled`), or null. */
  lan: LanDiscovery | null
  pathTracker: PathTracker
  kv: KvService
  /** This host's blind relay (`start --relay`), or null. */
  relay: RelayServer | null
  relays: RelayDirectory
  /** This host's onion relay (`start --onion-relay`), or null. */
  onionRelay: OnionRelay | null
  dialer: HostDialer
  /** The mesh swarm: its own DHT node starts when the first plugin joins a mesh. */
  mesh: MeshSwarm
  runtime: PluginRuntime
  hidden: HostHiddenServices
  listener: ServiceListener
  advertiser: Advertiser
  appSync: AppSync
  appServer: AppServer
  autoUpgrader: AutoUpgrader
  bridges: BridgeManager
}
