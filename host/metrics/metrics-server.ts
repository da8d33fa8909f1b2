import { createServer } from 'node:http'
import type { IncomingMessage, Server, ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import { Counter, Gauge, Registry } from 'prom-client'
import { listenHttp, urlHost } from '../util/http-listen.ts'
import type { Logger } from '../log/index.ts'
import type { MetricsAddress } from './metrics-address.ts'

/**
 * The metrics endpoint: `GET /metrics` in the Prometheus text format, anything else 404. Every
 * value is read at scrape time from the host's status (one snapshot per scrape) and the DHT
 * node's own counters: nothing on a hot path counts for it. The registry is this server's own,
 * never prom-client's global one, so two hosts in one process do not mix. docs/metrics.md lists
 * every metric.
 */

/** The part of the host's status (HostStatus) the metrics read. */
export interface MetricsSnapshot {
  apps: Array<{ name: string; state: string; restarts?: number; connections?: number; bytesIn?: number; bytesOut?: number }>
  services: Array<{ app: string; service: string; connections: number }>
  refused: Record<string, number>
  network: { nodes: number }
  serving?: { enabled: boolean; fetchesInFlight: number; bytesServed: number; refused: Record<string, number> }
  kv?: { storedForOthers: { records: number; bytes: number } | null }
}

/** The DHT node's own counters (dht-rpc's `stats`), when the node has them. */
export interface DhtStats {
  queries?: { active: number; total: number }
  commands?: { findNode?: { rx: number } }
}

export interface MetricsComponents {
  status(): MetricsSnapshot
  dhtStats(): DhtStats | null
  log: Logger
}

/** Every state an app shows in status: the app state gauge has one series per state, 1 for the current one. */
const APP_STATES = ['idle', 'starting', 'running', 'crashed', 'backoff', 'failed', 'stopped', 'invalid']

export class MetricsServer {
  readonly registry = new Registry()
  private readonly server: Server
  private snap: MetricsSnapshot | null = null
  private dht: DhtStats | null = null
  private opening: Promise<void> | null = null
  private closing: Promise<void> | null = null

  constructor(
    private readonly c: MetricsComponents,
    readonly address: MetricsAddress
  ) {
    this.define()
    this.server = createServer((req, res) => void this.handle(req, res))
  }

  /** Listen. @throws ADDRESS_IN_USE, or the listen error */
  ready(): Promise<void> {
    this.opening ??= listenHttp(this.server, this.address, '--metrics').then(() => this.c.log.info('metrics served', { url: this.url }))
    return this.opening
  }

  /** The scrape URL, once listening (the port is the one bound: 0 in the address picks a free one). */
  get url(): string {
    const a = this.server.address() as AddressInfo | null
    const port = a?.port ?? this.address.port
    return `http://${urlHost(this.address.host)}:${port}/metrics`
  }

  close(): Promise<void> {
    this.closing ??= (async () => {
      await this.opening?.catch(() => {})
      if (!this.server.listening) return
      this.server.closeAllConnections()
      await new Promise<void>((resolve) => this.server.close(() => resolve()))
    })()
    return this.closing
  }

  /** The text a scrape answers now. */
  async scrape(): Promise<string> {
    this.snap = this.c.status()
    this.dht = this.c.dhtStats()
    try {
      return await this.registry.metrics()
    } finally {
      this.snap = null
      this.dht = null
    }
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const path = (req.url ?? '').split('?')[0]
    if (path !== '/metrics' || (req.method !== 'GET' && req.method !== 'HEAD')) {
      res.writeHead(404, { 'content-type': 'text/plain; charset=utf-8' }).end('not found: metrics are at /metrics\n')
      return
    }
    try {
      const body = await this.scrape()
      res.writeHead(200, { 'content-type': this.registry.contentType }).end(req.method === 'HEAD' ? undefined : body)
    } catch (err) {
      this.c.log.warn('metrics scrape failed', { error: (err as Error).message })
      res.writeHead(500, { 'content-type': 'text/plain; charset=utf-8' }).end('scrape failed\n')
    }
  }

  private define(): void {
    const registers = [this.registry]
    const s = () => this.snap
    // a counter read from a total kept elsewhere: reset, then set to that total (a restarted host starts again from 0, as Prometheus expects)
    const counter = (name: string, help: string, labelNames: string[], read: (emit: (labels: Record<string, string>, v: number) => void) => void) =>
      new Counter({
        name,
        help,
        labelNames,
        registers,
        collect() {
          this.reset()
          read((labels, v) => this.inc(labels, Math.max(0, v)))
        }
      })
    const gauge = (name: string, help: string, labelNames: string[], read: (emit: (labels: Record<string, string>, v: number) => void) => void) =>
      new Gauge({
        name,
        help,
        labelNames,
        registers,
        collect() {
          this.reset()
          read((labels, v) => this.set(labels, v))
        }
      })

    // apps (the plugin runtime's status)
    gauge('hypernet_app_state', 'The state of each app: 1 for its current state, 0 for the others.', ['app', 'state'], (emit) => {
      for (const a of s()?.apps ?? []) for (const st of APP_STATES) emit({ app: a.name, state: st }, a.state === st ? 1 : 0)
    })
    counter('hypernet_app_restarts_total', 'Times each app was started again after its first start (crash and operator restarts).', ['app'], (emit) => {
      for (const a of s()?.apps ?? []) if (a.restarts !== undefined) emit({ app: a.name }, a.restarts)
    })
    gauge('hypernet_app_connections', 'Connections open to each app now.', ['app'], (emit) => {
      for (const a of s()?.apps ?? []) if (a.connections !== undefined) emit({ app: a.name }, a.connections)
    })
    counter('hypernet_app_received_bytes_total', 'Bytes peers sent to each app.', ['app'], (emit) => {
      for (const a of s()?.apps ?? []) if (a.bytesIn !== undefined) emit({ app: a.name }, a.bytesIn)
    })
    counter('hypernet_app_sent_bytes_total', 'Bytes each app sent to peers.', ['app'], (emit) => {
      for (const a of s()?.apps ?? []) if (a.bytesOut !== undefined) emit({ app: a.name }, a.bytesOut)
    })

    // services (the service listener)
    gauge('hypernet_service_connections', 'Connections open to each advertised service now.', ['app', 'service'], (emit) => {
      for (const x of s()?.services ?? []) emit({ app: x.app, service: x.service }, x.connections)
    })
    counter(
      'hypernet_service_refused_connections_total',
      'Connections to services refused or closed by the host, by reason (denied, perPeer, perAddress, perService, total, evicted, idle).',
      ['reason'],
      (emit) => {
        for (const [reason, v] of Object.entries(s()?.refused ?? {})) emit({ reason }, v)
      }
    )

    // the DHT node
    gauge('hypernet_dht_nodes', "DHT nodes in this node's routing table.", [], (emit) => {
      const snap = s()
      if (snap) emit({}, snap.network.nodes)
    })
    counter('hypernet_dht_find_node_requests_received_total', 'FIND_NODE requests this DHT node answered for others (lookups served).', [], (emit) => {
      const rx = this.dht?.commands?.findNode?.rx
      if (rx !== undefined) emit({}, rx)
    })
    counter('hypernet_dht_queries_total', 'DHT queries (lookups, announces) this node started.', [], (emit) => {
      const total = this.dht?.queries?.total
      if (total !== undefined) emit({}, total)
    })

    // serving app code to other hosts
    gauge('hypernet_serving_enabled', '1 when this host serves the code of its apps to other hosts, else 0.', [], (emit) => {
      const sv = s()?.serving
      if (sv) emit({}, sv.enabled ? 1 : 0)
    })
    counter('hypernet_serving_sent_bytes_total', 'Bytes of app code served to other hosts.', [], (emit) => {
      const sv = s()?.serving
      if (sv) emit({}, sv.bytesServed)
    })
    gauge('hypernet_serving_fetches_in_flight', 'Fetches of app code by other hosts in progress now.', [], (emit) => {
      const sv = s()?.serving
      if (sv) emit({}, sv.fetchesInFlight)
    })
    counter('hypernet_serving_refused_total', 'Fetches of app code refused, by reason.', ['reason'], (emit) => {
      for (const [reason, v] of Object.entries(s()?.serving?.refused ?? {})) emit({ reason }, v)
    })

    // the DHT key-value store
    gauge('hypernet_kv_records', 'Key-value records this DHT node stores for others.', [], (emit) => {
      const kv = s()?.kv?.storedForOthers
      if (kv) emit({}, kv.records)
    })
    gauge('hypernet_kv_stored_bytes', 'Bytes of key-value records this DHT node stores for others.', [], (emit) => {
      const kv = s()?.kv?.storedForOthers
      if (kv) emit({}, kv.bytes)
    })
  }
}
