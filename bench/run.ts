import { cpus, loadavg, totalmem } from 'node:os'
import type { BenchOptions } from './args.ts'
import { startNetFixture } from './net-fixture.ts'
import { bytePathRows } from './rows/byte-path.ts'
import { cliRows } from './rows/cli.ts'
import { installRows } from './rows/install.ts'
import { fetchRows } from './rows/fetch.ts'
import { lookupRows } from './rows/lookup.ts'
import { memoryRows } from './rows/memory.ts'
import { scaleRows } from './rows/scale.ts'
import { streamRows } from './rows/stream.ts'
import { onionRows } from './rows/onion.ts'
import { hiddenRows } from './rows/hidden.ts'
import { meshRows } from './rows/mesh.ts'
import { manyAppsRows, onDemandRows } from './rows/on-demand.ts'
import { manyClientsRows } from './rows/many-clients.ts'
import type { Row } from './table.ts'

/**
 * Runs the rows the options ask for, in an order that keeps them from disturbing each other
 * (the many-connection scale row last on the shared fixture; the memory row in child
 * processes), and returns them sorted by row id with what the run ran on.
 */

export interface BenchReport {
  date: string
  machine: { cores: number; cpu: string; memGiB: number; node: string; loadBefore: number[]; loadAfter: number[] }
  options: BenchOptions
  seconds: number
  rows: Row[]
}

export async function runBench(o: BenchOptions, progress: (line: string) => void = () => {}): Promise<BenchReport> {
  const started = performance.now()
  const loadBefore = loadavg()
  const want = (n: number) => o.only.length === 0 || o.only.includes(n)
  const rows: Row[] = []
  const step = async (what: string, fn: () => Promise<Row[]>) => {
    const t = performance.now()
    progress(`${what} ...`)
    rows.push(...(await fn()))
    progress(`${what}: ${((performance.now() - t) / 1000).toFixed(1)} s`)
  }

  if (want(1) || want(2) || want(3) || want(7) || want(8) || want(12) || want(16)) {
    const f = await startNetFixture(10)
    try {
      if (want(1) || want(2) || want(3)) await step('rows 1-3 (streams)', async () => (await streamRows(f, o)).filter((r) => want(Number.parseInt(r.id, 10))))
      if (want(8)) await step('row 8 (install)', () => installRows(f, o))
      if (want(12)) await step('row 12 (install by hash from a peer)', () => fetchRows(f, o))
      if (want(7)) await step(`row 7 (scale, ${o.clients} clients)`, () => scaleRows(f, o))
      if (want(16)) await step(`row 16 (${o.clientsTotal} clients in turn)`, () => manyClientsRows(f, o))
    } finally {
      await f.close()
    }
  }
  if (want(4)) await step(`row 4 (lookup, ${o.sizes.join('/')} nodes)`, () => lookupRows(o))
  if (want(5)) await step('row 5 (byte path)', () => bytePathRows(o))
  if (want(6)) await step(`row 6 (memory, ${o.plugins.join('/')} plugins)`, () => memoryRows(o))
  if (want(9)) await step('row 9 (onion circuit, 3 hops)', () => onionRows(o))
  if (want(10)) await step('row 10 (hidden service vs 3 hops vs direct)', () => hiddenRows(o))
  if (want(11)) await step('row 11 (CLI start-up)', () => cliRows(o))
  if (want(13)) await step('row 13 (chat mesh, 10 hosts)', () => meshRows(o))
  if (want(14)) await step('row 14 (cold start of an app on demand)', () => onDemandRows(o))
  if (want(15)) await step(`row 15 (${o.apps} apps installed, on demand)`, () => manyAppsRows(o))

  rows.sort((a, b) => a.id.localeCompare(b.id, 'en', { numeric: true }))
  const cpu = cpus()
  return {
    date: new Date().toISOString(),
    machine: {
      cores: cpu.length,
      cpu: cpu[0]?.model ?? 'unknown',
      memGiB: Math.round(totalmem() / 2 ** 30),
      node: process.version,
      loadBefore,
      loadAfter: loadavg()
    },
    options: o,
    seconds: (performance.now() - started) / 1000,
    rows
  }
}
