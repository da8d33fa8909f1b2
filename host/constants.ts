import { createHash } from 'node:crypto'

/** Namespace tags: 32-byte prefixes that bind a hash or a signature to one purpose. */
function ns(name: string): Buffer {
  return createHash('sha256').update(`hypernet/${name}`).digest()
}

export const NAMESPACE = {
  /** Seed derivation for a host's mesh swarm key pair: SHA-256(MESH_KEY || host secret key). */
  MESH_KEY: ns('mesh-key/v1'),
  /** Topic of a service's mesh: SHA-256(MESH_TOPIC || service hash); never the service hash itself, which vendors announce with their service keys. */
  MESH_TOPIC: ns('mesh-topic/v1'),
  /** Prefix of the bytes a host signs to vouch for its mesh key: BLAKE2b-256(MESH_HELLO || mesh public key). */
  MESH_HELLO: ns('mesh-hello/v1'),
  /** Prefix of the bytes a publisher signs for a manifest. */
  MANIFEST: ns('manifest/v1'),
  /** Prefix of a service hash: SHA-256(SERVICE || code hash || utf8(service name)). */
  SERVICE: ns('service/v1'),
  /** Seed derivation for a service's connection key pair. */
  SERVICE_KEY: ns('service-key/v1'),
  /** Prefix of the bytes a host signs for its descriptor. */
  DESCRIPTOR: ns('descriptor/v1'),
  /** Seed derivation for a descriptor page's key pair: SHA-256(DESCRIPTOR_PAGE_KEY || host secret key || uint32le(index)). */
  DESCRIPTOR_PAGE_KEY: ns('descriptor-page-key/v1'),
  /** Prefix of the bytes a host signs to bind a page key to itself: DESCRIPTOR_PAGE || page key || uint32le(index). */
  DESCRIPTOR_PAGE: ns('descriptor-page/v1'),
  /** Topic under which an app is announced by code hash. */
  APP_TOPIC: ns('app-topic/v1'),
  /** Prefix of an exposed TCP service's hash: SHA-256(BRIDGE_SERVICE || host key || utf8(name)). */
  BRIDGE_SERVICE: ns('bridge-service/v1'),
  /** Topic under which hosts that offer to relay (`start --relay`) announce their relay key. */
  RELAY_TOPIC: ns('relay-topic/v1'),
  /** Seed derivation for a relay's key pair: SHA-256(RELAY_KEY || host secret key). */
  RELAY_KEY: ns('relay-key/v1'),
  /** Seed derivation for a DHT store record's key pair: BLAKE2b-256(KV_KEY || owner secret key || utf8(key name)). */
  KV_KEY: ns('kv-key/v1'),
  /** Prefix of the bytes an owner signs for a DHT store record. */
  KV_RECORD: ns('kv-record/v1'),
  /** Code hash of the onion relay entry a relay host lists in its descriptor (host/onion/relay-directory.ts). */
  ONION_RELAY: ns('onion-relay/v1'),
  /** BLAKE2b key of the per-hop handshake's key derivation (host/onion/hop-handshake.ts). */
  ONION_HANDSHAKE: ns('onion-handshake/v1'),
  /** Seed derivation for a hidden service's key pair: SHA-256(HIDDEN_KEY || host secret key || service hash). */
  HIDDEN_KEY: ns('hidden-key/v1'),
  /** Prefix of what a hidden service signs to make a relay its introduction point. */
  ONION_INTRO: ns('onion-intro/v1'),
  /** Prefix of an app's release topic: SHA-256(RELEASE || publisher key || utf8(app name)), where every version of one app is announced. */
  RELEASE: ns('release/v1'),
  /** Prefix of the bytes a publisher signs for an endorsement of a host (host/dns/endorsement.ts). */
  ENDORSEMENT: ns('endorsement/v1'),
  /** Blinding of an endorsement record's key: SHA-512(ENDORSEMENT_KEY || publisher key || host key) mod L. */
  ENDORSEMENT_KEY: ns('endorsement-key/v1')
} as const

/** The p2p DNS (host/dns/). */
export const DNS = {
  /** Hosts whose descriptors one lookup fetches at once; the rest wait (a topic may be flooded by rogue announcers). */
  verifyConcurrency: 4,
  /**
   * A descriptor refreshed longer ago than this (seconds) is stale: hosts refresh theirs every
   * 10 minutes, so a stale one likely belongs to a host that is gone but still announced
   * (announcements live ~20 minutes). Stale entries come after every fresh one.
   */
  staleAfterSeconds: 15 * 60,
  /**
   * How long (ms) a verified host descriptor is reused by later lookups without asking the DHT
   * again (dns/descriptor-cache.ts). It bounds how long a lookup may miss that a host stopped
   * vouching for a hash while still announced under it (a withdrawal also unannounces).
   */
  descriptorCacheMs: 60_000,
  /** Hosts whose descriptors one DHT node keeps at most (~1 KB each). */
  descriptorCacheHosts: 1024,
  /**
   * Requests in flight in a lookup's descriptor walk, which stops at the first signed record:
   * Kademlia's alpha. The default 10 sends to ten nodes when any of the ~20 holding the record
   * would do, and on a small network that alone cost as much as the topic walk.
   */
  descriptorWalkConcurrency: 3,
  /**
   * Pages a host descriptor may have beyond the record under the host key (about 7 one-service
   * apps a page; dns/descriptor-page.ts). Each is one mutable record re-published every refresh.
   */
  maxDescriptorPages: 1024
} as const

/** Defaults of a host that relays for others (`start --relay`); the CLI may lower or raise them. */
export const RELAY = {
  /** Relayed connections (pairs of peers) at once; more are refused. */
  maxConnections: 64,
  /** Sessions (peer connections to the relay; each relayed connection takes two) from one peer key. */
  maxSessionsPerPeer: 32,
  /** Relayed bytes per second, all connections together; over it new pairings are refused. */
  maxBytesPerSecond: 8 * 1024 * 1024,
  /** Seconds in a row above maxBytesPerSecond before the busiest relayed connection is cut. */
  overLimitSeconds: 5,
  /** How often a host looks for relays in the DHT, in ms. */
  lookupIntervalMs: 10 * 60_000
} as const

/** The manifest schema identifier every manifest carries in its `schema` field. */
export const MANIFEST_SCHEMA_ID = 'hypernet/manifest@1'

/** The plugin ABI versions this host can run. */
export const ABI_VERSIONS = [1] as const
export const ABI_VERSION = 1

/** Host policy defaults; a manifest may ask for less, never for more. */
export const LIMITS = {
  /** Largest linear memory a plugin may have, in MiB. */
  maxMemoryMiB: 256,
  /** Memory a plugin gets when its manifest asks for nothing. */
  defaultMemoryMiB: 16,
  /** Longest a single call into a plugin may run, in ms. */
  maxCallTimeoutMs: 5000,
  defaultCallTimeoutMs: 200,
  /** Per-app persistent storage quota when the manifest asks for none, in bytes. */
  defaultStorageBytes: 1024 * 1024,
  maxStorageBytes: 64 * 1024 * 1024,
  /** Bytes a plugin may have in flight on one connection before hn_send returns EAGAIN. */
  sendHighWaterBytes: 1024 * 1024,
  /** Most connections one plugin may hold open. */
  maxConnectionsPerPlugin: 4096,
  maxTimersPerPlugin: 1024,
  /** Largest wasm module accepted, in bytes. */
  maxWasmBytes: 64 * 1024 * 1024,
  /** Largest manifest accepted, in bytes. */
  maxManifestBytes: 256 * 1024
} as const

/**
 * Per-plugin quotas on shared resources (DESIGN decision 13). `default` is what a plugin gets
 * when its manifest's `limits` asks for nothing; a manifest may ask for more, up to `max`
 * (the consent prompt shows what it asks). Over a quota, hn_connect returns EAGAIN (dials in
 * flight, dials per second) or ELIMIT (connections), hn_send returns EAGAIN (bytes out per
 * second), and the plugin's inbound streams pause (bytes in per second): never a queue.
 */
export const PLUGIN_QUOTAS = {
  /** hn_connect dials pending at once (looking up and connecting). */
  dialsInFlight: { default: 8, max: 64 },
  /** hn_connect calls per second (a token bucket with one second of burst). */
  dialsPerSecond: { default: 10, max: 100 },
  /** Outbound connections open at once (dials in flight included). */
  connections: { default: 64, max: 1024 },
  /** Bytes per second the plugin's peers may send it, all connections together: above what a host's network carries (bench row 1: ~100 MB/s a stream), so it bounds a runaway plugin without slowing a fast one. */
  bytesInPerSecond: { default: 1024 * 1024 * 1024, max: 8 * 1024 * 1024 * 1024 },
  /** Bytes per second the plugin may send, all connections together. */
  bytesOutPerSecond: { default: 1024 * 1024 * 1024, max: 8 * 1024 * 1024 * 1024 },
  /** A connection to one of its services that moves no data either way for this long (ms) is closed. */
  idleTimeoutMs: { default: 5 * 60_000, max: 24 * 60 * 60_000 }
} as const

export type PluginQuotaName = keyof typeof PLUGIN_QUOTAS

/**
 * Log lines one plugin may put in the host's log (its own lines, denials, the host's lines
 * about its dials), per second; the rest are dropped and counted ("dropped N lines").
 */
export const PLUGIN_LOG = { linesPerSecond: 50, bytesPerSecond: 16 * 1024 } as const

/**
 * The host's own log file (`<home>/logs/host.log`): rotated at `maxBytes`, keeping `files` old
 * ones (host.log.1 ... host.log.<files>), so it never holds more than maxBytes x (files + 1).
 * `config.json`'s `log.maxBytes` and `log.files` override these.
 */
export const LOG = { level: 'info', maxBytes: 10 * 1024 * 1024, files: 5 } as const

/**
 * How the host dials services by hash for plugins: one lookup per hash in flight, results
 * kept briefly, and a target that keeps failing is not tried again until its backoff ends.
 */
/** Meshes (host/mesh): how hosts that run the same service keep connected. */
export const MESH = {
  /** First wait before checking a peer's descriptor again when it did not vouch for a mesh's hash, doubled per miss, in ms. */
  verifyRetryMs: 500,
  maxVerifyRetryMs: 30_000,
  /**
   * After a join's first announce, look the topic up once more this long later (plus up to as
   * much again, at random): two hosts that joined at the same moment each looked before the other
   * announced, and hyperswarm's own next look is 10 minutes away.
   */
  settleRefreshMs: 1_000,
  /**
   * Look each joined topic up again this often: hyperswarm retries a lost peer for ~20 s, then
   * waits for its next look (10 minutes away); this bounds how long a peer back after a longer
   * outage stays unmet. One announce query per mesh per period.
   */
  refreshMs: 60_000,
  /** Meshes one plugin may have joined at once. */
  maxPerPlugin: 16,
  /** Peer hosts the mesh swarm keeps connections to (hyperswarm's maxPeers). */
  maxPeers: 128
} as const

export const DIAL_CACHE = {
  /** How long a lookup's verified peers are reused, in ms. */
  peersTtlMs: 5_000,
  /** Peers one lookup collects at most. */
  maxPeers: 16,
  /** First wait after a failed dial to a target, doubled per failure in a row, in ms. */
  initialBackoffMs: 250,
  maxBackoffMs: 30_000,
  /** Targets (hashes, keys) remembered at once; the oldest are forgotten first. */
  maxEntries: 4096
} as const

/** Restart policy for crashed plugins. */
export const RESTART: { readonly initialBackoffMs: number; readonly maxBackoffMs: number; readonly maxCrashes: number; readonly windowMs: number } = {
  initialBackoffMs: 100,
  maxBackoffMs: 10_000,
  /** This many crashes inside `windowMs` marks a plugin failed until an operator acts. */
  maxCrashes: 5,
  windowMs: 60_000
}

/** The DHT key-value store's policy (README: "The DHT key-value store"). */
export const KV = {
  /** Name and version of the HyperDHT plugin (`dht.register`) that stores records for others. */
  plugin: 'hypernet-kv',
  pluginVersion: 1,
  /** Copies kept: the closest nodes to a record's target that answer, on each storage path. */
  replicas: 8,
  /** Longest key name, in UTF-8 bytes. */
  maxKeyBytes: 64,
  /** Largest value, in bytes: a whole record then fits one UDP datagram on any path. */
  maxValueBytes: 1000,
  /** How long a node keeps a record after its last put (HyperDHT's own records last 48 h). */
  recordTtlMs: 48 * 60 * 60_000,
  /** How often owners and pinners check each record's closest nodes and repair missing copies. */
  repairIntervalMs: 10 * 60_000,
  /** How often every copy is re-put even when present, resetting its TTL. */
  refreshIntervalMs: 6 * 60 * 60_000,
  /** How long an owner keeps a removal (tombstone) alive after removing. */
  tombstoneKeepMs: 7 * 24 * 60 * 60_000,
  /** Bytes a node stores for others through the plugin, all owners together. */
  nodeQuotaBytes: 16 * 1024 * 1024,
  /** Bytes a node stores for any one owner key. */
  ownerQuotaBytes: 1024 * 1024,
  /** Records one host may pin (keep alive for others). */
  maxPins: 1024
} as const

/**
 * Error numbers KV plugin nodes reply with (the dht-rpc reply's error field). HyperDHT's own
 * mutable records answer 16 (SEQ_REUSED) and 17 (SEQ_TOO_LOW); ours start at 64.
 */
export const KV_WIRE_ERROR = {
  BAD_RECORD: 64,
  NOT_OWNER: 65,
  SEQ_TOO_LOW: 66,
  SEQ_REUSED: 67,
  REMOVED: 68,
  QUOTA: 69,
  TOO_LARGE: 70,
  NO_TOKEN: 71
} as const

/** Defaults of a host that offers itself as an onion relay (`start --onion-relay`). */
export const ONION = {
  /** Relays in a client's circuit (the cell format allows at most ONION_MAX_HOPS in messages.ts). */
  hops: 3,
  /** Circuits a relay carries at once; more are refused before the handshake. */
  maxCircuits: 256,
  /** Cell bytes per second a relay forwards, all circuits together; above it, reading pauses. */
  maxBytesPerSecond: 8 * 1024 * 1024,
  /** Bytes one circuit may carry through a relay before it is destroyed (LIMIT). */
  maxCircuitBytes: 1024 * 1024 * 1024,
  /** DATA cells one end of a stream may send before the other end acknowledges them (SENDME): about 1 MB. */
  windowCells: 1024,
  /** DATA cells one SENDME acknowledges. */
  sendmeCells: 128,
  /**
   * Bytes of cells held for one circuit before it ends with LIMIT: four windows (only a peer
   * ignoring its window gets there). A relay counts the cells held on both links, their write
   * buffers and the exit's writes to the destination; a client, what its paused link holds.
   */
  maxHeldBytes: 4 * 1024 * 1024,
  /**
   * Bytes of a destination's an exit holds for one client's window before ending the circuit
   * with LIMIT: a HyperDHT destination cannot be slowed (pausing its stream does not stop its
   * sender), so this is how far a destination may run ahead of a slow client.
   */
  maxExitWaitingBytes: 16 * 1024 * 1024,
  /**
   * Bytes a relay holds for all its circuits together; past it the circuits holding the most
   * end with LIMIT. Six circuits at their full cap (maxHeldBytes + maxExitWaitingBytes), since
   * honest downloads from destinations faster than the relay's rate do hold megabytes each:
   * six 12 MiB downloads at once through one relay at the default rate held 45 MB together
   * (relay-memory measurements in docs/onion.md), so 64 MiB would have shed honest circuits
   * from about eight on.
   */
  maxRelayHeldBytes: 128 * 1024 * 1024,
  /**
   * The smallest budget `--onion-max-memory` (onion.maxMemory) takes: what one circuit may
   * hold (maxHeldBytes + maxExitWaitingBytes). Below it the budget, not the circuit's own cap,
   * would end an honest download, and the relay would shed its only busy circuit.
   */
  minRelayHeldBytes: 20 * 1024 * 1024,
  /** How long a relay waits for the next hop or the destination to answer, in ms. */
  extendTimeoutMs: 10_000,
  /** How long an exit keeps a circuit whose destination closed, for what still waits for the client's SENDMEs, in ms. */
  exitFlushMs: 30_000,
  /** How long a paused link whose stream ended keeps what it holds for its reader, in ms; then it closes (a relay would hold it for ever). */
  heldAfterEndMs: 30_000,
  /** How long a relay waits for a new link's CREATE before dropping it, in ms (an idle link holds a slot). */
  createTimeoutMs: 10_000,
  /** How long a client waits for a whole circuit and stream, in ms. */
  buildTimeoutMs: 20_000,
  /** How long a client avoids a relay that failed it, in ms. */
  avoidMs: 5 * 60_000,
  /** Circuits a host keeps built ahead of need, a hop short (circuit-pool.ts). */
  hostPrebuilt: 3,
  /** A pre-built circuit older than this is closed rather than used (a relay may have gone). */
  prebuiltMaxAgeMs: 5 * 60_000,
  /** Guard relays a host keeps as the first hop of its circuits (hidden services, plugin dials). */
  hostGuards: 2,
  /** How long a guard is kept (across restarts, in `<home>/onion-guards.json`) before it is replaced. */
  guardLifetimeMs: 60 * 24 * 60 * 60_000
} as const

/**
 * Why a circuit or stream ended: the reason byte of DESTROY cells and END messages. Mapped to
 * names and errors in host/onion/onion-reasons.ts; append-only.
 */
export const ONION_REASON = {
  DONE: 0,
  PROTOCOL: 1,
  TAMPERED: 2,
  HOP_LOST: 3,
  UNREACHABLE: 4,
  LIMIT: 5,
  CLOSING: 6,
  TIMEOUT: 7,
  DESTINATION_CLOSED: 8,
  /** An introduction point has no service under the key asked for. */
  NO_SUCH_SERVICE: 9
} as const

/** Defaults of hidden services (`start --hidden`) and of clients reaching them (`connect --hidden`). */
export const HIDDEN = {
  /** Introduction points a hidden service keeps, on distinct relay hosts. */
  introPoints: 3,
  /**
   * How often the service republishes its descriptor: the nodes closest to its key change as
   * nodes come and go, and a fresh `updated` time tells clients it is still up.
   */
  publishIntervalMs: 10 * 60_000,
  /**
   * A descriptor older than this is taken as a service gone offline (HyperDHT keeps mutable
   * records for 48 hours, long after their intro points are dead): three missed refreshes.
   */
  descriptorMaxAgeMs: 30 * 60_000,
  /** How long a client waits for the service to meet it at the rendezvous point, in ms. */
  rendezvousTimeoutMs: 20_000,
  /** Cookies a service remembers, so a replayed introduction is not answered twice. */
  replayCacheSize: 4096,
  /** Longest wait before a service retries intro points after a failure, in ms. */
  maxRetryMs: 30_000,
  /** Introductions a service answers at once; more are dropped (each costs a circuit). */
  maxPendingIntroductions: 32,
  /** How long a client waits on one introduction point before asking the next as well, in ms. */
  introStaggerMs: 2_000,
  /** Descriptor stores and lookups (PUBLISH, FETCH) a relay makes for one circuit; then LIMIT. */
  maxDhtRequestsPerCircuit: 8
} as const

/** The host-to-host apps protocol (host/apps/): a protomux channel on the host key. */
export const APPS_PROTOCOL = 'hypernet/apps/1'

/**
 * Limits of serving apps to other hosts, so a host is no free CDN. Over a limit a requester gets
 * a coded refusal (APPS_REFUSAL), never a hang. `status` shows them.
 */
export const SERVING = {
  /** Code ranges one peer key may have in flight at once. */
  maxFetchesPerPeer: 2,
  /** Code ranges in flight at once, all peers together. */
  maxFetches: 16,
  /** Connections on the host key from one peer key at once, and from everyone. */
  maxConnectionsPerPeer: 4,
  maxConnections: 64,
  /** Requests one connection may make per second; faster (or asking while not reading the answers) is cut off. */
  requestsPerSecond: 64,
  /** Bytes of code sent per second, all peers together (a token bucket; sending waits, it never drops). */
  bytesPerSecond: 32 * 1024 * 1024,
  /** Largest module this host serves. */
  maxModuleBytes: 32 * 1024 * 1024,
  /** Longest code range one request may ask for. */
  maxRangeBytes: 1024 * 1024,
  /** Bytes of code in one message. */
  chunkBytes: 256 * 1024,
  /** A requester waits this long for an answer (or the next chunk) before giving up on a vendor, in ms. */
  requestTimeoutMs: 15_000
} as const

/** Why a host refused an apps request: small numbers on the wire, each with its error code. Append-only. */
export const APPS_REFUSAL = {
  /** This host does not run (so does not serve) that code hash. */
  NOT_SERVED: 1,
  /** The operator turned serving off, for every app or this one. */
  SERVING_DISABLED: 2,
  /** The publisher's signed manifest says the app is not to be redistributed. */
  NOT_REDISTRIBUTABLE: 3,
  /** Too many fetches from this peer or in total; try later or another vendor. */
  SERVING_BUSY: 4,
  /** The module is larger than this host serves. */
  SERVING_TOO_LARGE: 5,
  /** A range outside the module, or longer than a request may ask for. */
  BAD_REQUEST: 6
} as const

/** How often the daemon looks for upgrades of apps whose publisher is trusted with --auto-upgrade, in ms. */
export const AUTO_UPGRADE_INTERVAL_MS = 6 * 60 * 60_000

/** The daemon's control socket (host/control/control-server.ts): what one local client may cost it. */
export const CONTROL = {
  /** Longest request line, in bytes; a longer one is refused and its connection closed. */
  maxLineBytes: 64 * 1024,
  /** Control connections open at once; one more is refused with CONTROL_BUSY. */
  maxConnections: 64,
  /** Requests one connection may have running; beyond it the socket is read no further until one ends. */
  maxInFlight: 16,
  /** A connection with nothing running and nothing sent for this long is closed, in ms. */
  idleMs: 60_000
} as const

/** LAN discovery by multicast DNS (host/net/lan-discovery.ts). */
export const LAN = {
  /** The DNS-SD service type hosts advertise their LAN DHT node under. */
  service: '_hypernet._udp.local',
  /** How often a host asks the link who is there, in ms. */
  queryIntervalMs: 10_000,
  /** TTL of the records it answers with, in seconds. */
  ttlSeconds: 120,
  /** LAN peers remembered at most (a link is small; this bounds what a noisy one can cost). */
  maxPeers: 256
} as const
