import { execFile } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import type DHT from 'hyperdht'
import type { BenchOptions } from '../args.ts'
import type { NetFixture } from '../net-fixture.ts'
import { median, paired, pairedStats } from '../stats.ts'
import { echoed, firstByte, oneWay, roundTrips } from '../streams.ts'
import { row } from '../table.ts'
import type { Row } from '../table.ts'

/**
 * Rows 1-3: a plain HyperDHT client to the host's plugin services versus the same client to
 * the plain JS servers, on one testnet, rounds interleaved.
 *   1a one-way MB/s (64 KiB writes into a sink), 1b echoed MB/s,
 *   2  ms from connect() to the first echoed byte, 3 ms per 64-byte round trip.
 * Ratios (and row 2's overhead) are medians of the per-round pairs, so a slow spell on the
 * shared machine weighs on both sides of a pair alike. By default the client runs in this
 * process, beside the servers; `--client-process` runs it in a child process of its own (see
 * bench/stream-client.ts), as a remote client would be.
 */

export interface StreamKeys {
  pluginSink: Buffer
  rawSink: Buffer
  pluginEcho: Buffer
  rawEcho: Buffer
}

type Pair = { a: number[]; b: number[] }

export interface StreamSamples {
  one: Pair
  echo: Pair
  first: Pair
  rtt: Pair
  connects: number
  trips: number
}

/** Every sample of rows 1-3, plugin (a) and raw (b), from `client`. */
export async function measureStreams(c: DHT, k: StreamKeys, o: BenchOptions): Promise<StreamSamples> {
  // warm both paths (JIT, routing tables) before anything counts
  await oneWay(c, k.pluginSink, 1)
  await oneWay(c, k.rawSink, 1)
  await echoed(c, k.pluginEcho, 1)
  await echoed(c, k.rawEcho, 1)

  const one = await paired(
    o.rounds,
    () => oneWay(c, k.pluginSink, o.mib),
    () => oneWay(c, k.rawSink, o.mib)
  )
  const echo = await paired(
    o.rounds,
    () => echoed(c, k.pluginEcho, o.mib),
    () => echoed(c, k.rawEcho, o.mib)
  )

  const connects = o.quick ? 3 : 10
  const perRound = async (key: Buffer) => {
    const xs: number[] = []
    for (let i = 0; i < connects; i++) xs.push(await firstByte(c, key))
    return median(xs)
  }
  const first = await paired(
    o.rounds,
    () => perRound(k.pluginEcho),
    () => perRound(k.rawEcho)
  )

  const trips = o.quick ? 20 : 300
  const rtt = await paired(
    o.rounds,
    async () => median(await roundTrips(c, k.pluginEcho, trips)),
    async () => median(await roundTrips(c, k.rawEcho, trips))
  )
  return { one, echo, first, rtt, connects, trips }
}

export async function streamRows(f: NetFixture, o: BenchOptions): Promise<Row[]> {
  const keys: StreamKeys = { pluginSink: f.plugin.sink, rawSink: f.rawKeys.sink, pluginEcho: f.plugin.echo, rawEcho: f.rawKeys.echo }
  const s = o.clientProcess ? await inChild(f, keys, o) : await measureStreams(f.client, keys, o)
  const spread = (xs: number[], d = 1) => `${Math.min(...xs).toFixed(d)}-${Math.max(...xs).toFixed(d)}`
  const where = o.clientProcess ? 'client in its own process' : 'client in this process'
  const { one, echo, first, rtt } = s
  return [
    row({
      id: '1a',
      measure: 'stream one way, 64 KiB writes',
      unit: 'MB/s',
      rounds: o.rounds,
      project: median(one.a),
      raw: median(one.b),
      ...pairedStats(one.a, one.b),
      target: { kind: 'ratio-min', value: 0.9 },
      detail: `${o.mib} MiB per round into a sink (1-byte ack per MiB), ${where}; plugin ${spread(one.a, 0)}, raw ${spread(one.b, 0)} MB/s`,
      extra: { plugin: one.a, raw: one.b, mib: o.mib, clientProcess: o.clientProcess }
    }),
    row({
      id: '1b',
      measure: 'stream echoed, 64 KiB writes',
      unit: 'MB/s',
      rounds: o.rounds,
      project: median(echo.a),
      raw: median(echo.b),
      ...pairedStats(echo.a, echo.b),
      target: { kind: 'ratio-min', value: 0.9 },
      detail: `${o.mib} MiB per round through echo, payload counted once; plugin ${spread(echo.a, 0)}, raw ${spread(echo.b, 0)} MB/s`,
      extra: { plugin: echo.a, raw: echo.b, mib: o.mib, clientProcess: o.clientProcess }
    }),
    row({
      id: '2',
      measure: 'connect to first echoed byte',
      unit: 'ms',
      rounds: o.rounds,
      project: median(first.a),
      raw: median(first.b),
      ...pairedStats(first.a, first.b),
      target: { kind: 'over-max', value: 2 },
      detail: `${s.connects} connects per round, median per round; overhead ${pairedStats(first.a, first.b).overhead.toFixed(2)} ms; plugin ${spread(first.a)}, raw ${spread(first.b)} ms`,
      extra: { plugin: first.a, raw: first.b, connectsPerRound: s.connects, clientProcess: o.clientProcess }
    }),
    row({
      id: '3',
      measure: '64-byte round trip, open stream',
      unit: 'ms',
      rounds: o.rounds,
      project: median(rtt.a),
      raw: median(rtt.b),
      ...pairedStats(rtt.a, rtt.b),
      // two thread hand-offs per echo where raw has none; 1.2x would take the wasm on the host
      // thread, giving up the deadline on a looping plugin (docs/performance.md, Targets)
      target: { kind: 'ratio-max', value: 2 },
      detail: `${s.trips} round trips per round, median per round; plugin ${spread(rtt.a, 3)}, raw ${spread(rtt.b, 3)} ms`,
      extra: { plugin: rtt.a, raw: rtt.b, tripsPerRound: s.trips, clientProcess: o.clientProcess }
    })
  ]
}

const CHILD = fileURLToPath(new URL('../stream-client.ts', import.meta.url))

/** Run measureStreams in a child process on the same testnet (async: the servers live here). */
function inChild(f: NetFixture, keys: StreamKeys, o: BenchOptions): Promise<StreamSamples> {
  const hex = Object.fromEntries(Object.entries(keys).map(([k, v]) => [k, v.toString('hex')]))
  const arg = JSON.stringify({ bootstrap: f.testnet.bootstrap, keys: hex, options: o })
  return new Promise((resolve, reject) => {
    execFile(process.execPath, ['--import', 'tsx', CHILD, arg], { timeout: 600_000, maxBuffer: 16 * 1024 * 1024 }, (err, stdout, stderr) => {
      if (err) return reject(new Error(`stream client process failed: ${err.message}\n${stderr}`))
      try {
        resolve(JSON.parse(stdout.trim().split('\n').pop()!))
      } catch {
        reject(new Error(`stream client process printed no result: ${stdout}\n${stderr}`))
      }
    })
  })
}
