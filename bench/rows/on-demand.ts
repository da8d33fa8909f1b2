import { execFile } from 'node:child_process'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import DHT from 'hyperdht'
import createTestnet from 'hyperdht/testnet.js'
import { Host } from '../../host/daemon/host.ts'
import { silentLogger } from '../../host/log/logger.ts'
import type { BenchOptions } from '../args.ts'
import { installEchoCopies } from '../apps.ts'
import { startRawServers } from '../raw-servers.ts'
import { median, pairedStats, sleep } from '../stats.ts'
import { firstByte } from '../streams.ts'
import { row } from '../table.ts'
import type { Row } from '../table.ts'

/**
 * Row 14: apps on demand. 14a, connect until the first echoed byte to an app whose worker is
 * not running (idle: the connection is held while the worker starts), and 14b to the same
 * code kept running, each beside the plain JS echo server in the same round, on one testnet.
 * Row 15: a host with N installed apps, all on demand (bench/apps-child.ts, in a fresh child
 * process): the RSS they add, the host's start-up, a cold connect to one of them, its stop.
 */

/** The on-demand app's idle period: short, so each round finds it idle again quickly. */
const IDLE_MS = 200
const CHILD = fileURLToPath(new URL('../apps-child.ts', import.meta.url))
const MB = 1024 * 1024

export async function onDemandRows(o: BenchOptions): Promise<Row[]> {
  const cleanups: Array<() => Promise<unknown>> = []
  try {
    const testnet = await createTestnet(10, { host: '127.0.0.1' })
    cleanups.push(() => testnet.destroy())
    const home = await mkdtemp(join(tmpdir(), 'hn-bench-idle-'))
    cleanups.push(() => rm(home, { recursive: true, force: true }))
    const [running, lazy] = await installEchoCopies(home, 2)
    const host = new Host({ home, bootstrap: testnet.bootstrap, logger: silentLogger(), idle: { defaultMs: IDLE_MS, apps: { [running]: 0 } } })
    cleanups.push(() => host.close())
    await host.ready()
    const raw = await startRawServers(testnet.bootstrap)
    cleanups.push(() => raw.close())
    const client = new DHT({ bootstrap: testnet.bootstrap })
    cleanups.push(() => client.destroy())
    await client.ready()
    const key = (app: string) => Buffer.from(host.status().services.find((s) => s.app === app)!.key, 'hex')
    const state = (app: string) => host.status().apps.find((a) => a.name === app)?.state
    const idle = async () => {
      const deadline = Date.now() + 10_000
      while (state(lazy) !== 'idle') {
        if (Date.now() > deadline) throw new Error(`bench: ${lazy} did not go back to idle (it is ${state(lazy)})`)
        await sleep(20)
      }
    }
    // warm every path once (JIT, routing tables, the servers' first connects)
    for (const k of [key(running), key(lazy), raw.echoKey]) await firstByte(client, k)
    const cold: number[] = []
    const warm: number[] = []
    const rawMs: number[] = []
    for (let r = 0; r < o.rounds; r++) {
      await idle()
      cold.push(await firstByte(client, key(lazy)))
      warm.push(await firstByte(client, key(running)))
      rawMs.push(await firstByte(client, raw.echoKey))
    }
    const wakes = host.status().apps.find((a) => a.name === lazy)?.wakes ?? 0
    const spread = (xs: number[]) => `${Math.min(...xs).toFixed(1)}-${Math.max(...xs).toFixed(1)}`
    const rows = [
      row({
        id: '14a',
        measure: 'connect to first echoed byte, app idle (cold start)',
        unit: 'ms',
        rounds: o.rounds,
        project: median(cold),
        raw: median(rawMs),
        ...pairedStats(cold, rawMs),
        target: { kind: 'none' },
        detail: `the worker starts on the connection (held meanwhile): cold ${spread(cold)} ms, running ${spread(warm)} ms, raw ${spread(rawMs)} ms; ${wakes} starts on demand`,
        extra: { cold, warm, raw: rawMs, idleStopMs: IDLE_MS }
      }),
      row({
        id: '14b',
        measure: 'connect to first echoed byte, same app running',
        unit: 'ms',
        rounds: o.rounds,
        project: median(warm),
        raw: median(rawMs),
        ...pairedStats(warm, rawMs),
        target: { kind: 'none' },
        detail: `cold start cost (14a - 14b): ${(median(cold) - median(warm)).toFixed(1)} ms`
      })
    ]
    return rows
  } finally {
    while (cleanups.length) await cleanups.pop()!().catch(() => {})
  }
}

interface ChildResult {
  n: number
  installMs: number
  before: number
  after: number
  withOneRunning: number
  startMs: number
  idleCpuPercent: number
  idlePingsPerSecond: number
  coldMs: number
  closeMs: number
  states: Record<string, number>
  services: number
  descriptorPublished: boolean
  descriptorRecords: number
  lookup: { found: number; how: string; coldMs: number; warmMs: number; rawMs: number; ratio: number }
  warnings: Record<string, number>
}

export async function manyAppsRows(o: BenchOptions): Promise<Row[]> {
  const r = await child(o.apps, o.quick ? 1000 : 6000)
  const n = r.n
  if (r.lookup.found !== 1) throw new Error(`the last of ${n} apps installed was found ${r.lookup.found} times by a verified lookup, not once`)
  const added = (r.after - r.before) / MB
  const base = { rounds: 1, raw: null, target: { kind: 'none' } as const, extra: { ...r } }
  const detail = `${JSON.stringify(r.states)} of ${n}, ${r.services} services listened on and announced; RSS ${(r.before / MB).toFixed(0)} -> ${(r.after / MB).toFixed(0)} MB (${((added * 1024) / n).toFixed(0)} KiB per app), one woken: +${((r.withOneRunning - r.after) / MB).toFixed(1)} MB; descriptor ${r.descriptorPublished ? `published over ${r.descriptorRecords} DHT records` : 'NOT published'}; ${n} apps generated and installed in ${(r.installMs / 1000).toFixed(1)} s`
  return [
    row({ ...base, id: '15a', measure: `${n} apps installed, on demand: RSS added`, unit: 'MB', project: added, detail }),
    row({
      ...base,
      id: '15b',
      measure: `${n} apps installed: host start-up`,
      unit: 'ms',
      project: r.startMs,
      detail: 'new Host() to ready(): re-verify every app, listen on and announce every service'
    }),
    row({ ...base, id: '15c', measure: `${n} apps installed: cold connect to one`, unit: 'ms', project: r.coldMs }),
    row({
      ...base,
      id: '15f',
      rounds: 15,
      measure: `${n} apps installed: verified lookup of the last`,
      unit: 'ms',
      project: r.lookup.warmMs,
      raw: r.lookup.rawMs,
      ratio: r.lookup.ratio,
      target: { kind: 'ratio-max', value: 1.1 },
      detail: `found, verified: ${r.lookup.how}; the first lookup (page fetched) ${r.lookup.coldMs.toFixed(1)} ms; repeated ones against raw lookups of the topic, 15 rounds of 10 each way, median of the rounds' ratios`
    }),
    row({
      ...base,
      id: '15e',
      measure: `${n} apps installed, nothing happening: host CPU`,
      unit: '%',
      project: r.idleCpuPercent,
      detail: `${r.idlePingsPerSecond.toFixed(0)} DHT requests a second from the host's node: each listened service key's HyperDHT announcer pings the nodes holding its announcement every 3 s, worker or not`
    }),
    row({
      ...base,
      id: '15d',
      measure: `${n} apps installed: host stop`,
      unit: 'ms',
      project: r.closeMs,
      detail: 'close(): unannounce every topic, close every server'
    })
  ]
}

function child(n: number, sampleMs: number): Promise<ChildResult> {
  return new Promise((resolve, reject) => {
    execFile(
      process.execPath,
      ['--expose-gc', '--disable-warning=ExperimentalWarning', '--import', 'tsx', CHILD, String(n), String(sampleMs)],
      { timeout: 300_000, maxBuffer: 16 * MB },
      (err, stdout, stderr) => {
        if (err) return reject(new Error(`apps child (${n} apps) failed: ${err.message}\n${stderr}`))
        try {
          resolve(JSON.parse(stdout.trim().split('\n').pop()!))
        } catch {
          reject(new Error(`apps child (${n} apps) printed no result: ${stdout}\n${stderr}`))
        }
      }
    )
  })
}
