import { execFile } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import type { BenchOptions } from '../args.ts'
import { median } from '../stats.ts'
import { row } from '../table.ts'
import type { Row } from '../table.ts'

/**
 * Row 6: resident memory per idle plugin. A fresh child process per count (bench/
 * memory-child.ts) measures its RSS with the runtime ready and no plugin, then with N echo
 * plugins loaded and idle for 10 s: (after - before) / N; the detail gives the figure just
 * after they started too (before V8 collected the workers' start-up garbage). Worker threads live in the process, so their heaps
 * and the plugins' linear memories are all in its RSS.
 */

const CHILD = fileURLToPath(new URL('../memory-child.ts', import.meta.url))
const MB = 1024 * 1024

interface ChildResult {
  n: number
  before: number
  started: number
  after: number
  startMs: number
  settleMs: number
}

export async function memoryRows(o: BenchOptions): Promise<Row[]> {
  const rows: Row[] = []
  const rounds = Math.min(o.rounds, 2)
  for (const [i, n] of o.plugins.entries()) {
    const runs: ChildResult[] = []
    for (let r = 0; r < rounds; r++) runs.push(await child(n, o.quick))
    const per = runs.map((x) => (x.after - x.before) / MB / n)
    const atStart = median(runs.map((x) => (x.started - x.before) / MB / n))
    rows.push(
      row({
        id: `6${String.fromCharCode(97 + i)}`,
        measure: `memory, ${n} idle plugin${n === 1 ? '' : 's'}`,
        unit: 'MB/plugin',
        rounds,
        project: median(per),
        target: { kind: 'max', value: 8 },
        detail: `RSS ${fmtMb(median(runs.map((x) => x.before)))} -> ${fmtMb(median(runs.map((x) => x.after)))} MB with ${n} echo plugin${n === 1 ? '' : 's'} idle ${(runs[0].settleMs / 1000).toFixed(0)} s (${atStart.toFixed(1)} MB/plugin just after start); started in ${median(runs.map((x) => x.startMs)).toFixed(0)} ms`,
        extra: { runs }
      })
    )
  }
  return rows
}

function fmtMb(bytes: number): string {
  return (bytes / MB).toFixed(0)
}

function child(n: number, quick: boolean): Promise<ChildResult> {
  return new Promise((resolve, reject) => {
    execFile(
      process.execPath,
      ['--expose-gc', '--disable-warning=ExperimentalWarning', '--import', 'tsx', CHILD, String(n), String(quick ? 800 : 10_000)],
      { timeout: 120_000 },
      (err, stdout, stderr) => {
        if (err) return reject(new Error(`memory child (${n} plugins) failed: ${err.message}\n${stderr}`))
        try {
          resolve(JSON.parse(stdout.trim().split('\n').pop()!))
        } catch {
          reject(new Error(`memory child (${n} plugins) printed no result: ${stdout}\n${stderr}`))
        }
      }
    )
  })
}
