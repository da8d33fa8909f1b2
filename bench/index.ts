import { fileURLToPath } from 'node:url'
import { parseBenchArgs, USAGE } from './args.ts'
import { runBench } from './run.ts'
import type { BenchReport } from './run.ts'
import { formatMarkdown, formatTable } from './table.ts'

/**
 * `npm run bench`: plugin-mediated networking measured side by side with raw HyperDHT, on
 * loopback, in about four minutes by default. A table on stdout (`--json` for machines),
 * progress on stderr. bench/RESULTS.md says what each row measures and what one run gave.
 */

export function formatReport(r: BenchReport): string {
  const l = (xs: number[]) => xs.map((x) => x.toFixed(2)).join(' ')
  return [
    `hypernet bench, ${r.date}, ${r.machine.cores} cores (${r.machine.cpu}), node ${r.machine.node}, load ${l(r.machine.loadBefore)} -> ${l(r.machine.loadAfter)}`,
    `medians of ${r.options.rounds} rounds${r.options.quick ? ', quick mode (tiny sizes: figures mean nothing)' : ''}, ${r.seconds.toFixed(0)} s in all`,
    '',
    formatTable(r.rows)
  ].join('\n')
}

/** The report as Markdown: what ran where, the table, then each row's detail. */
export function formatReportMarkdown(r: BenchReport, command: string): string {
  const l = (xs: number[]) => xs.map((x) => x.toFixed(2)).join(' ')
  return [
    `Measured ${r.date.slice(0, 10)} with \`${command}\` (${r.seconds.toFixed(0)} s) on ${r.machine.cores} cores (${r.machine.cpu}), ${r.machine.memGiB} GiB, Node ${r.machine.node}; load average ${l(r.machine.loadBefore)} before, ${l(r.machine.loadAfter)} after. Medians of ${r.options.rounds} rounds.`,
    '',
    formatMarkdown(r.rows),
    '',
    ...r.rows.filter((x) => x.detail).map((x) => `- **${x.id}**: ${x.detail}`)
  ].join('\n')
}

async function main(): Promise<number> {
  let opts
  try {
    opts = parseBenchArgs(process.argv.slice(2))
  } catch (err) {
    process.stderr.write(`${(err as Error).message}\n\n${USAGE}`)
    return 2
  }
  if (opts.help) {
    process.stdout.write(USAGE)
    return 0
  }
  const report = await runBench(opts, (line) => process.stderr.write(`bench: ${line}\n`))
  const command = ['npm run bench', ...(process.argv.length > 2 ? ['--', ...process.argv.slice(2)] : [])].join(' ')
  const out = opts.json ? JSON.stringify(report, null, 2) : opts.markdown ? formatReportMarkdown(report, command) : formatReport(report)
  process.stdout.write(out + '\n')
  return 0
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  main().then(
    (code) => process.exit(code),
    (err) => {
      process.stderr.write(`bench failed: ${(err as Error)?.stack ?? err}\n`)
      process.exit(1)
    }
  )
}
