import { mkdtemp } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { SecretStream } from 'hyperdht'
import type { HostStatus } from '../../host/daemon/host-status.ts'
import { installExamples } from '../../host/demo/install-examples.ts'
import { formatId } from '../../host/encoding/ids.ts'
import DHT from 'hyperdht'
import { OnionRelay } from '../../host/onion/index.ts'
import type { OnionRelayInit, RelayInfo, RelayObservation } from '../../host/onion/index.ts'
import { plainClient, removeHome, startHost } from './hosts.ts'
import type { TestHost } from './hosts.ts'
import type { Testnet } from 'hyperdht/testnet.js'

/** Everything each relay host learnt, by relay key (hex). */
export type RelayViews = Map<string, RelayObservation[]>

/**
 * Start `n` onion relay hosts on `testnet`, each instrumented (its observations recorded in
 * `views` under its relay key), closed and removed by `defer` (last opened, first closed).
 */
export async function startRelayHosts(testnet: Testnet, n: number, defer: (fn: () => unknown) => void): Promise<{ relays: TestHost[]; views: RelayViews }> {
  const views: RelayViews = new Map()
  const relays: TestHost[] = []
  for (let i = 0; i < n; i++) {
    const log: RelayObservation[] = []
    // a dead next hop costs 3 s here, not 10: tests kill relays on purpose
    const r = await startHost(testnet, undefined, { onionRelay: { maxBytesPerSecond: Infinity, extendTimeoutMs: 3000, observe: (o) => log.push(o) } })
    defer(() => removeHome(r.home))
    defer(() => r.close())
    views.set(formatId(r.host.onionRelay!.publicKey), log)
    relays.push(r)
  }
  return { relays, views }
}

/** A peer as a destination host saw it: its key and, when known, its address. */
export interface SeenPeer {
  key: string
  address: string | null
}

/** Record every peer that connects to one of `host`'s services (its `route` is wrapped). */
export function recordPeers(h: TestHost): SeenPeer[] {
  const seen: SeenPeer[] = []
  const host = h.host as unknown as { route(hash: string, stream: SecretStream): void }
  const route = host.route.bind(h.host)
  host.route = (hash, stream) => {
    const raw = stream.rawStream
    seen.push({ key: formatId(stream.remotePublicKey), address: raw?.remoteHost ? `${raw.remoteHost}:${raw.remotePort}` : null })
    route(hash, stream)
  }
  return seen
}

/**
 * A destination: a host running the echo example app on `testnet`, with every peer that
 * connects to it recorded (closed and removed by `defer`).
 */
export async function startEchoHost(
  testnet: Testnet,
  defer: (fn: () => unknown) => void
): Promise<{ echoHost: TestHost; echo: HostStatus['services'][number]; peersSeen: SeenPeer[] }> {
  const home = await mkdtemp(join(tmpdir(), 'hn-echo-'))
  defer(() => removeHome(home))
  await installExamples(home, ['echo'])
  const echoHost = await startHost(testnet, home)
  defer(() => echoHost.close())
  const echo = echoHost.host.status().services.find((s) => s.app === 'echo')!
  return { echoHost, echo, peersSeen: recordPeers(echoHost) }
}

/**
 * One bare onion relay on its own node of `testnet` (no host around it), closed by `defer`: a
 * dead next hop costs 3 s, not 10. Returns it and the RelayInfo a circuit takes.
 */
export async function startBareRelay(
  testnet: Testnet,
  defer: (fn: () => unknown) => void,
  init: OnionRelayInit = {}
): Promise<{ relay: OnionRelay; info: RelayInfo }> {
  const dht = plainClient(testnet)
  defer(() => dht.destroy())
  const r = new OnionRelay(dht, DHT.keyPair(), { extendTimeoutMs: 3000, ...init })
  await r.ready()
  defer(() => r.close())
  const key = formatId(r.publicKey)
  return { relay: r, info: { hostKey: key, relayKey: key } }
}
