import { formatId } from '../encoding/ids.ts'
import type { PluginStatus } from '../plugins/index.ts'
import type { NodeAddress } from 'hyperdht'
import type { HostParts } from './host-parts.ts'
import type { RunningApp } from './app-sync.ts'
import type { BridgeStatus } from '../bridge/index.ts'
import { relaysStatus, servicePaths } from './path-status.ts'
import type { RelaysStatus, ServicePaths } from './path-status.ts'
import type { KvSummary } from '../kv/index.ts'
import type { OnionRelayStatus } from '../onion/index.ts'
import type { HiddenStatus } from './host-hidden.ts'
import type { ServingStatus } from '../apps/index.ts'
import type { LanStatus } from '../net/index.ts'

/** What `status` shows: the host, its network, every app and every advertised service. */
export interface HostStatus {
  host: { key: string; home: string; pid: number; startedAt: string }
  network: {
    bootstrap: string[]
    local: boolean
    bootstrapped: boolean
    /** False when the bootstrap ended without any DHT node answering (offline): the host is alone. */
    answered: boolean
    /** DHT nodes in this node's routing table. */
    nodes: number
    firewalled: boolean
    nat: string
    publicAddress: string | null
    localAddress: string | null
    /** Onion relays the embedded local network runs (`start --local`). */
    localOnionRelays: number
    /** LAN discovery (`lan.enabled`): this host's LAN DHT node and the hosts found on the link. */
    lan?: LanStatus
  }
  apps: Array<{ name: string; version: string; codeHash: string } & Partial<Omit<PluginStatus, 'state'>> & { state: string; error?: string }>
  services: Array<{
    app: string
    service: string
    port: number
    hash: string
    key: string
    connections: number
    lastRefresh: string | null
    paths?: ServicePaths
  }>
  refused: Record<string, number>
  descriptorPublished: string | null
  /** DHT records the host descriptor spans: 1, or 1 + its pages (about 7 one-service apps a page). */
  descriptorRecords?: number
  /** Apps the descriptor has no room for (beyond its last page): running, but not findable by a verified lookup. */
  descriptorUnlisted?: string[]
  /** Listen and expose bridges, each with its open connections (and their paths) and bytes. */
  bridges?: BridgeStatus[]
  relays?: RelaysStatus
  /** The DHT store: what this node stores for others, and the last repair round. */
  kv?: KvSummary
  /** The onion relay (`start --onion-relay`): circuits carried now, limits, refusals. */
  onionRelay?: OnionRelayStatus
  /** The guard relays (relay keys) this host's circuits start at, once it has built one. */
  onionGuards?: string[]
  /** Hidden services (`start --hidden`, `bridge expose --hidden`): keys, introduction points, connections. */
  hidden?: HiddenStatus[]
  /** Serving apps to other hosts: the switches, the limits, what is in flight and what was refused. */
  serving?: ServingStatus
  /** The mesh swarm, once an app joined a mesh: its key, the meshes joined, peer hosts connected and of those, proven (hello verified). */
  mesh?: { key: string; meshes: number; peers: number; verified: number }
  /** The live web page (`start --web`): where it is; its token stays in `<home>/web-token`. */
  web?: { url: string }
}

/** What a status snapshot reads: the host's tables, and its parts built so far (it works while the host starts). */
export interface StatusComponents {
  parts: Partial<
    Pick<
      HostParts,
      | 'identity'
      | 'network'
      | 'dht'
      | 'advertiser'
      | 'listener'
      | 'runtime'
      | 'hidden'
      | 'pathTracker'
      | 'bridges'
      | 'relay'
      | 'relays'
      | 'kv'
      | 'onionRelay'
      | 'dialer'
      | 'appServer'
      | 'lan'
      | 'mesh'
      | 'web'
    >
  >
  home: string
  startedAt: string
  /** The bootstrap nodes asked for (HostInit.bootstrap). */
  bootstrap?: NodeAddress[]
  /** How many hidden services were asked for (`start --hidden`). */
  hiddenAsked: number
  noBootstrapAnswer: boolean
  localOnionRelays: number
  apps: ReadonlyMap<string, RunningApp>
  invalid: ReadonlyMap<string, { code: string; message: string }>
  serviceKeyPair(serviceHash: string): { publicKey: Buffer }
}

/** Snapshot a host's state. */
export function hostStatus(c: StatusComponents): HostStatus {
  const h = c.parts
  const dht = h.dht
  const remote = dht?.remoteAddress() ?? null
  const local = dht ? dht.address() : null
  const advertised = new Map((h.advertiser?.status() ?? []).map((t) => [t.topic, t]))
  const conns = h.listener?.connections() ?? {}
  const apps: HostStatus['apps'] = []
  for (const a of c.apps.values()) {
    let st: PluginStatus | null = null
    try {
      st = h.runtime ? h.runtime.status(a.manifest.app.name) : null
    } catch {
      st = null
    }
    apps.push({ name: a.manifest.app.name, version: a.manifest.app.version, codeHash: a.installed.codeHash, ...(st ?? {}), state: st?.state ?? 'stopped' })
  }
  for (const [name, bad] of c.invalid) {
    apps.push({ name, version: '', codeHash: '', state: 'invalid', error: `${bad.message}` })
  }
  const services: HostStatus['services'] = []
  for (const a of c.apps.values()) {
    for (const s of a.services) {
      if (h.hidden?.isHidden(a.manifest.app.name, s.name)) continue
      services.push({
        app: a.manifest.app.name,
        service: s.name,
        port: s.port,
        hash: s.hash,
        key: formatId(c.serviceKeyPair(s.hash).publicKey),
        connections: conns[s.hash] ?? 0,
        paths: servicePaths(h, s.hash),
        lastRefresh: advertised.get(s.hash)?.lastRefresh ?? null
      })
    }
  }
  return {
    host: { key: h.identity ? formatId(h.identity.publicKey) : '', home: c.home, pid: process.pid, startedAt: c.startedAt },
    network: {
      bootstrap: h.network ? [h.network.address] : (c.bootstrap ?? []).map((b) => `${b.host}:${b.port}`),
      local: Boolean(h.network),
      bootstrapped: dht ? !dht.destroyed && dht.bootstrapped !== false : false,
      answered: !c.noBootstrapAnswer,
      nodes: dht && !dht.destroyed ? dht.toArray().length : 0,
      firewalled: dht?.firewalled ?? true,
      nat:
        !dht || c.noBootstrapAnswer
          ? 'unknown'
          : dht.firewalled
            ? dht.randomized
              ? 'randomizing (hard to punch)'
              : 'consistent (punchable)'
            : 'open (no NAT in the way)',
      publicAddress: remote && remote.host ? `${remote.host}:${remote.port}` : null,
      localAddress: local ? `${local.host}:${local.port}` : null,
      localOnionRelays: c.localOnionRelays,
      ...(h.lan ? { lan: h.lan.status() } : {})
    },
    apps,
    services,
    refused: { ...(h.listener?.refused ?? {}) },
    descriptorPublished: h.advertiser?.lastDescriptor ?? null,
    ...(h.advertiser ? { descriptorRecords: h.advertiser.records } : {}),
    ...(h.advertiser?.unlisted.length ? { descriptorUnlisted: [...h.advertiser.unlisted] } : {}),
    bridges: h.bridges?.status() ?? [],
    relays: relaysStatus(h),
    kv: h.kv?.summary(),
    ...(h.onionRelay ? { onionRelay: h.onionRelay.status() } : {}),
    ...(h.dialer?.onionClient ? { onionGuards: h.dialer.onionClient.guardKeys() } : {}),
    ...(c.hiddenAsked || h.hidden?.status().length ? { hidden: h.hidden?.status() ?? [] } : {}),
    ...(h.appServer ? { serving: h.appServer.status() } : {}),
    ...(h.mesh && h.mesh.stats().meshes > 0 ? { mesh: { key: h.mesh.publicKey, ...h.mesh.stats() } } : {}),
    ...(h.web ? { web: { url: `${h.web.origin}/` } } : {})
  }
}
