import DHT from 'hyperdht'
import type { Duplex } from 'node:stream'
import createTestnet from 'hyperdht/testnet.js'
import { ONION } from '../../host/constants.ts'
import { HiddenService, OnionClient, StandaloneRelay, connectHidden } from '../../host/onion/index.ts'
import type { OnionClientInit } from '../../host/onion/index.ts'
import type { NodeAddress } from 'hyperdht'
import type { BenchOptions } from '../args.ts'
import { echoStream, sinkStream, startRawServers } from '../raw-servers.ts'
import { median, now, pairedStats, rotated, sleep, withTimeout } from '../stats.ts'
import { row } from '../table.ts'
import type { Row } from '../table.ts'
import { firstByte, oneWay } from './onion.ts'

/**
 * Row 10: a hidden service beside a three-hop anonymous stream to a plain service key and a
 * direct HyperDHT stream, all in one run on one testnet in this process (every relay's crypto
 * shares the cores with both ends: a floor, not what separate machines would see).
 *
 * Six onion relays, each on its own DHT node and host key, advertised in the p2p DNS as a
 * host with `--onion-relay` advertises them (Advertiser + onionRelayEntry), so that both
 * OnionClients find them by a verified lookup of the relay service hash. The hidden services
 * (an echo and a sink, each its own hidden key) run on one DHT node with an OnionClient that
 * keeps guards as a host's does; the client is a bare DHT node with an OnionClient as
 * `connect --hidden` makes. The relay list is looked up once before measuring (both clients
 * cache it), so no figure includes the relay lookup.
 *
 *   10a/10b one-way MB/s into a sink (1 byte back per MiB): hidden service, and OnionClient
 *     3 hops to the raw sink's key, each beside a direct HyperDHT stream to that key.
 *   10c/10d ms from nothing to the first echoed byte: connectHidden (descriptor fetched
 *     through a circuit while a rendezvous circuit is built, an introduction circuit, the
 *     service's circuit to the rendezvous point, Noise IK) and onionClient.connect, each
 *     beside dht.connect to the raw echo.
 */

const RELAYS = 6
const INTRO_POINTS = 3

export async function hiddenRows(o: BenchOptions): Promise<Row[]> {
  const cleanups: Array<() => Promise<unknown>> = []
  try {
    const testnet = await createTestnet(10, { host: '127.0.0.1' })
    cleanups.push(() => testnet.destroy())
    const raw = await startRawServers(testnet.bootstrap)
    cleanups.push(() => raw.close())
    for (let i = 0; i < RELAYS; i++) {
      const relay = new StandaloneRelay(testnet.bootstrap, { maxBytesPerSecond: Infinity })
      cleanups.push(() => relay.close())
      await relay.ready()
    }

    // the hidden side: one node, as a host running two hidden services would be
    const asHost = { guards: ONION.hostGuards, prebuilt: ONION.hostPrebuilt }
    const { onion: serviceOnion } = await onionNode(testnet.bootstrap, asHost, cleanups)
    const echo = new HiddenService(serviceOnion, DHT.keyPair(), echoStream, { introPoints: INTRO_POINTS, name: 'bench/echo' })
    cleanups.push(() => echo.close())
    const sink = new HiddenService(serviceOnion, DHT.keyPair(), sinkStream, { introPoints: INTRO_POINTS, name: 'bench/sink' })
    cleanups.push(() => sink.close())
    await echo.ready()
    await sink.ready()
    await published(echo)
    await published(sink)

    // the client: a bare node
    const { dht: client, onion } = await onionNode(testnet.bootstrap, {}, cleanups)

    // a second client as a host is one: guards and circuits built ahead of need
    const { onion: hostOnion } = await onionNode(testnet.bootstrap, asHost, cleanups)

    const hidden = async (key: Buffer): Promise<Duplex> => (await withTimeout(connectHidden(onion, key), 60_000, 'hidden service connect')).stream
    const fromHost = async (key: Buffer): Promise<Duplex> =>
      (await withTimeout(connectHidden(hostOnion, key), 60_000, 'hidden service connect from a host')).stream
    // an idle host has its circuits ready: wait for them, outside the measured time
    const whenReady = async () => {
      const deadline = now() + 30_000
      while (hostOnion.prebuiltCount() < ONION.hostPrebuilt && now() < deadline) await sleep(20)
    }
    const anonymous = (key: Buffer): Promise<Duplex> => withTimeout(onion.connect(key), 60_000, 'anonymous connect')
    const direct = (key: Buffer): Promise<Duplex> =>
      withTimeout(
        new Promise((resolve, reject) => {
          const s = client.connect(key)
          s.once('open', () => resolve(s))
          s.once('error', reject)
        }),
        60_000,
        'direct connect'
      )

    // one unmeasured round of each first: the first connects to a key pay for cold DHT routes
    await firstByte(() => hidden(echo.key))
    await firstByte(() => fromHost(echo.key))
    await firstByte(() => anonymous(raw.echoKey))
    await firstByte(() => direct(raw.echoKey))
    const first = await rotated(o.rounds, [
      () => firstByte(() => hidden(echo.key)),
      () => firstByte(() => anonymous(raw.echoKey)),
      () => firstByte(() => direct(raw.echoKey)),
      async () => {
        await whenReady()
        return firstByte(() => fromHost(echo.key))
      }
    ])
    const mib = Math.max(1, Math.round(o.mib / 4))
    await oneWay(() => hidden(sink.key), 1)
    await oneWay(() => anonymous(raw.sinkKey), 1)
    await oneWay(() => direct(raw.sinkKey), 1)
    const one = await rotated(o.rounds, [
      () => oneWay(() => hidden(sink.key), mib),
      () => oneWay(() => anonymous(raw.sinkKey), mib),
      () => oneWay(() => direct(raw.sinkKey), mib)
    ])

    const [hOne, aOne, dOne] = one
    const [hFirst, aFirst, dFirst, pFirst] = first
    const spread = (xs: number[], d = 1) => `${Math.min(...xs).toFixed(d)}-${Math.max(...xs).toFixed(d)}`
    const x = (a: number[], b: number[]) => `${pairedStats(a, b).ratio.toFixed(2)}x`
    const where = `${RELAYS} relays, both ends and the client in this process`
    const path = 'client 3 hops to a rendezvous point + service 3 hops to it (5 relays), Noise IK end to end'
    return [
      row({
        id: '10a',
        measure: 'hidden service stream one way',
        unit: 'MB/s',
        rounds: o.rounds,
        project: median(hOne),
        raw: median(dOne),
        ...pairedStats(hOne, dOne),
        target: { kind: 'none' },
        detail: `${mib} MiB per round into a sink (1-byte ack per MiB); ${path}; hidden ${spread(hOne)}, 3 hops (10b) ${spread(aOne)}, direct ${spread(dOne, 0)} MB/s; hidden/3 hops ${x(hOne, aOne)}; ${where}`,
        extra: { hidden: hOne, anonymous: aOne, direct: dOne, mib }
      }),
      row({
        id: '10b',
        measure: 'anonymous stream one way, OnionClient 3 hops',
        unit: 'MB/s',
        rounds: o.rounds,
        project: median(aOne),
        raw: median(dOne),
        ...pairedStats(aOne, dOne),
        target: { kind: 'none' },
        detail: `same run and sink as 10a, a plain service key through onionClient.connect (random path, exit's HyperDHT connect); 3 hops ${spread(aOne)}, direct ${spread(dOne, 0)} MB/s`,
        extra: { anonymous: aOne, direct: dOne, mib }
      }),
      row({
        id: '10c',
        measure: 'hidden service connect to first byte',
        unit: 'ms',
        rounds: o.rounds,
        project: median(hFirst),
        raw: median(dFirst),
        ...pairedStats(hFirst, dFirst),
        target: { kind: 'none' },
        detail: `connectHidden: descriptor fetch (3-hop circuit, its last relay's DHT mutableGet) alongside a rendezvous circuit (3 hops), introduction circuit (3 hops), service's circuit to the rendezvous point (the service, as a host does, extends one built ahead), Noise IK, 1 byte echoed; relay list cached; hidden ${spread(hFirst)}, 3 hops (10d) ${spread(aFirst)}, direct ${spread(dFirst)} ms; hidden/3 hops ${x(hFirst, aFirst)}`,
        extra: { hidden: hFirst, anonymous: aFirst, direct: dFirst }
      }),
      row({
        id: '10d',
        measure: 'anonymous connect to first byte, OnionClient 3 hops',
        unit: 'ms',
        rounds: o.rounds,
        project: median(aFirst),
        raw: median(dFirst),
        ...pairedStats(aFirst, dFirst),
        target: { kind: 'none' },
        detail: `same run as 10c: onionClient.connect (3 HyperDHT connects + 3 handshakes, BEGIN, the exit's connect), 1 byte echoed; relay list cached; 3 hops ${spread(aFirst)}, direct ${spread(dFirst)} ms`,
        extra: { anonymous: aFirst, direct: dFirst }
      }),
      row({
        id: '10e',
        measure: 'hidden service connect to first byte, from a host',
        unit: 'ms',
        rounds: o.rounds,
        project: median(pFirst),
        raw: median(dFirst),
        ...pairedStats(pFirst, dFirst),
        target: { kind: 'none' },
        detail: `as 10c, from a client that keeps guards and ${ONION.hostPrebuilt} circuits built ahead (a host's bridge or plugin; the wait for them to be ready is not counted): each of its circuits is one extend; from a host ${spread(pFirst)}, from a bare client (10c) ${spread(hFirst)} ms; host/bare ${x(pFirst, hFirst)}`,
        extra: { fromHost: pFirst, bare: hFirst, direct: dFirst }
      })
    ]
  } finally {
    while (cleanups.length) await cleanups.pop()!().catch(() => {})
  }
}

/** A DHT node and its onion client (relay list cached for the run), once every relay is found. */
async function onionNode(bootstrap: NodeAddress[], init: OnionClientInit, cleanups: Array<() => Promise<unknown>>): Promise<{ dht: DHT; onion: OnionClient }> {
  const dht = new DHT({ bootstrap })
  cleanups.push(() => dht.destroy())
  await dht.ready()
  const onion = new OnionClient(dht, { ...init, relayCacheMs: Infinity })
  cleanups.push(() => onion.close())
  await allRelaysFound(onion)
  return { dht, onion }
}

/** Wait until a lookup finds every relay (then the client's cache holds them all). */
async function allRelaysFound(client: OnionClient): Promise<void> {
  const deadline = now() + 30_000
  let found = 0
  while (now() < deadline) {
    found = (await client.relays(true)).length
    if (found >= RELAYS) return
    await sleep(100)
  }
  throw new Error(`onion relays: found ${found} of ${RELAYS} within 30 s`)
}

/** Wait until the service holds all its introduction points and its descriptor is stored. */
async function published(hs: HiddenService): Promise<void> {
  const deadline = now() + 60_000
  while (now() < deadline) {
    const st = hs.status()
    if (st.intros.length === INTRO_POINTS && st.published) return
    await sleep(50)
  }
  const st = hs.status()
  throw new Error(
    `hidden service ${st.name}: ${st.intros.length} of ${INTRO_POINTS} introduction points, ${st.published ? '' : 'not '}published within 60 s (${st.problem ?? 'no problem reported'})`
  )
}
