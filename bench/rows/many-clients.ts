import DHT from 'hyperdht'
import type { SecretStream } from 'hyperdht'
import type { BenchOptions } from '../args.ts'
import type { NetFixture } from '../net-fixture.ts'
import { now, percentile, withTimeout } from '../stats.ts'
import { open, readUntil } from '../streams.ts'
import { row } from '../table.ts'
import type { Row } from '../table.ts'

/**
 * Row 16: many distinct clients to one echo service, in turn: `--clients-total` clients (each
 * its own key pair), WINDOW of them at a time, each connecting, making one 64-byte echo and
 * closing. Counted: clients that failed (connect or echo) and clients served per second; the
 * same against the raw JS server. Row 7 holds its clients open at once; this row is how far
 * past that one service goes on one machine: 10,000 open at once exceed the host's default
 * connection policy (1,024 per service and per address, 4,096 per plugin) and, with both ends
 * in this process, the open-file limit (two UDP sockets per connection).
 */

/** Clients connecting at once: 500 at once made a tenth of the connects (raw and plugin alike) time out in the client's DHT node. */
const WINDOW = 50
const MSG = 64

interface Result {
  total: number
  served: number
  failed: number
  ms: number
  perSecond: number
  p50: number
  p99: number
  errors: Record<string, number>
}

export async function manyClientsRows(f: NetFixture, o: BenchOptions): Promise<Row[]> {
  const raw = await serve(f, f.rawKeys.echo, o.clientsTotal)
  const plugin = await serve(f, f.plugin.echo, o.clientsTotal)
  const d = (r: Result) =>
    `${r.served}/${r.total} served in ${(r.ms / 1000).toFixed(1)} s, connect+echo p50 ${r.p50.toFixed(0)} ms p99 ${r.p99.toFixed(0)} ms${Object.keys(r.errors).length ? `, errors ${JSON.stringify(r.errors)}` : ''}`
  const base = { rounds: 1, extra: { plugin, raw, window: WINDOW } }
  return [
    row({
      ...base,
      id: '16a',
      measure: `${o.clientsTotal} clients in turn (${WINDOW} at once): failed`,
      unit: 'clients',
      project: plugin.failed,
      raw: raw.failed,
      target: { kind: 'equal', value: 0 },
      detail: `plugin ${d(plugin)}; raw ${d(raw)}`
    }),
    row({
      ...base,
      id: '16b',
      measure: `${o.clientsTotal} clients in turn: clients served per second`,
      unit: 'clients/s',
      project: plugin.perSecond,
      raw: raw.perSecond,
      target: { kind: 'none' },
      detail: `each client: its own key pair, connect, one ${MSG}-byte echo, close`
    })
  ]
}

async function serve(f: NetFixture, key: Buffer, total: number): Promise<Result> {
  const errors: Record<string, number> = {}
  const times: number[] = []
  const msg = Buffer.alloc(MSG, 0x63)
  let next = 0
  let served = 0
  const t0 = now()
  await Promise.all(
    Array.from({ length: Math.min(WINDOW, total) }, async () => {
      while (next < total) {
        next++
        const start = now()
        let s: SecretStream | null = null
        try {
          s = await open(f.client, key, DHT.keyPair(), 15_000)
          const back = readUntil(s, MSG)
          s.write(msg)
          await withTimeout(back, 15_000, 'echo')
          times.push(now() - start)
          served++
        } catch (err) {
          const k = String((err as Error)?.message ?? err)
            .replace(/[0-9a-f]{64}/g, '<key>')
            .slice(0, 80)
          errors[k] = (errors[k] ?? 0) + 1
        } finally {
          s?.destroy()
        }
      }
    })
  )
  const ms = now() - t0
  return { total, served, failed: total - served, ms, perSecond: served / (ms / 1000), p50: percentile(times, 50), p99: percentile(times, 99), errors }
}
