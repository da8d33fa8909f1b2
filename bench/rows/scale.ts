import { readdirSync, readFileSync } from 'node:fs'
import DHT from 'hyperdht'
import type { SecretStream } from 'hyperdht'
import type { BenchOptions } from '../args.ts'
import type { NetFixture } from '../net-fixture.ts'
import { now, percentile, sleep, withTimeout } from '../stats.ts'
import { open, readUntil } from '../streams.ts'
import { row } from '../table.ts'
import type { Row } from '../table.ts'

/**
 * Row 7: N concurrent clients against one echo service. Clients connect in batches (each its
 * own key pair, as distinct users are; the host allows 64 connections per peer key), stay
 * connected, then all at once make `echoes` sequential 64-byte round trips each. Counted:
 * clients that finished every echo, clients that failed (connect or echo), p50/p99 echo
 * latency and echoes per second over the echo phase. The same against the raw JS server.
 * Everything has a deadline, so the row stops by itself.
 */

const BATCH = 50
const MSG = 64
const DEADLINE_MS = 90_000

export interface ScaleResult {
  clients: number
  completed: number
  failed: number
  connectMs: number
  /** Median time one connect took (they run BATCH at a time). */
  connectP50: number
  /** File descriptors open with every client connected (Linux; -1 elsewhere). */
  fds: number
  p50: number
  p99: number
  perSecond: number
  errors: Record<string, number>
}

export async function scaleRows(f: NetFixture, o: BenchOptions): Promise<Row[]> {
  // HyperDHT gives every open connection its own UDP socket on each side (the holepunch
  // socket pool); with both sides in this process that is two descriptors per client
  const limit = fdLimit()
  const need = 2 * o.clients + 256
  const fdNote = limit !== null && limit < need ? ` WARNING: open-file limit ${limit} < ~${need} needed (ulimit -n)` : ''
  // The first burst of connects to a fresh HyperDHT server is slow for raw and plugin alike
  // (~4 s for 50, apparently holepunch probing while the new nodes count themselves
  // firewalled); warm both.
  const warm = { ...o, clients: Math.min(BATCH, o.clients), echoes: 1 }
  const warmMs = [await scale(f, f.rawKeys.echo, warm), await scale(f, f.plugin.echo, warm)].map((r) => r.connectMs)
  const raw = await scale(f, f.rawKeys.echo, o)
  await sleep(500)
  const plugin = await scale(f, f.plugin.echo, o)
  const d = (r: ScaleResult) =>
    `${r.completed}/${r.clients} done, connected in ${(r.connectMs / 1000).toFixed(1)} s (${BATCH} at a time, p50 ${r.connectP50.toFixed(0)} ms each), ${r.fds} fds open${Object.keys(r.errors).length ? `, errors ${JSON.stringify(r.errors)}` : ''}`
  const base = { rounds: 1, extra: { plugin, raw, warmupConnectMs: warmMs } }
  return [
    row({
      ...base,
      id: '7a',
      measure: `scale: failed of ${o.clients} clients`,
      unit: 'clients',
      project: plugin.failed,
      raw: raw.failed,
      target: { kind: 'equal', value: 0 },
      detail: `plugin ${d(plugin)}; raw ${d(raw)}${fdNote}`
    }),
    row({
      ...base,
      id: '7b',
      measure: `scale: p50 echo latency, ${o.clients} clients`,
      unit: 'ms',
      project: plugin.p50,
      raw: raw.p50,
      target: { kind: 'none' }
    }),
    row({
      ...base,
      id: '7c',
      measure: `scale: p99 echo latency, ${o.clients} clients`,
      unit: 'ms',
      project: plugin.p99,
      raw: raw.p99,
      target: { kind: 'none' }
    }),
    row({
      ...base,
      id: '7d',
      measure: `scale: echoes per second, ${o.clients} clients`,
      unit: 'msg/s',
      project: plugin.perSecond,
      raw: raw.perSecond,
      target: { kind: 'none' },
      detail: `${o.echoes} sequential ${MSG}-byte echoes per client, all clients at once`
    })
  ]
}

async function scale(f: NetFixture, key: Buffer, o: BenchOptions): Promise<ScaleResult> {
  const deadline = Date.now() + DEADLINE_MS
  const errors: Record<string, number> = {}
  const fail = (err: unknown) => {
    const k = String((err as Error)?.message ?? err)
      .replace(/[0-9a-f]{64}/g, '<key>')
      .slice(0, 80)
    errors[k] = (errors[k] ?? 0) + 1
  }
  const streams: Array<SecretStream | null> = []
  const connects: number[] = []
  const t0 = now()
  try {
    for (let i = 0; i < o.clients; i += BATCH) {
      const n = Math.min(BATCH, o.clients - i)
      const left = Math.max(1000, deadline - Date.now())
      const batch = await Promise.all(
        Array.from({ length: n }, async () => {
          const start = now()
          try {
            const s = await open(f.client, key, DHT.keyPair(), Math.min(15_000, left))
            connects.push(now() - start)
            return s
          } catch (err) {
            fail(err)
            return null
          }
        })
      )
      streams.push(...batch)
    }
    const connectMs = now() - t0
    const fds = openFds()

    const latencies: number[] = []
    const msg = Buffer.alloc(MSG, 0x63)
    let completed = 0
    const t1 = now()
    await Promise.all(
      streams.map(async (s) => {
        if (s === null) return
        try {
          for (let e = 0; e < o.echoes; e++) {
            const start = now()
            await withTimeout(echoOnce(s, msg), Math.max(1000, Math.min(15_000, deadline - Date.now())), 'echo')
            latencies.push(now() - start)
          }
          completed++
        } catch (err) {
          fail(err)
        }
      })
    )
    const echoMs = now() - t1
    return {
      clients: o.clients,
      completed,
      failed: o.clients - completed,
      connectMs,
      connectP50: percentile(connects, 50),
      fds,
      p50: percentile(latencies, 50),
      p99: percentile(latencies, 99),
      perSecond: latencies.length / (echoMs / 1000),
      errors
    }
  } finally {
    for (const s of streams) s?.destroy()
    await sleep(200)
  }
}

/** The soft open-file limit (Linux), or null when unknown. */
function fdLimit(): number | null {
  try {
    const m = /^Max open files\s+(\d+)/m.exec(readFileSync('/proc/self/limits', 'utf8'))
    return m ? Number(m[1]) : null
  } catch {
    return null
  }
}

function openFds(): number {
  try {
    return readdirSync('/proc/self/fd').length
  } catch {
    return -1
  }
}

function echoOnce(s: SecretStream, msg: Buffer): Promise<void> {
  const back = readUntil(s, msg.byteLength)
  s.write(msg)
  return back
}
