import { existsSync } from 'node:fs'
import { basename, join } from 'node:path'
import { HypernetError } from '../../errors.ts'
import { LogTail, formatLine, matches, parseLevel, parseLine } from '../../log/index.ts'
import type { LogFilter } from '../../log/index.ts'
import type { CliContext } from '../context.ts'

export interface LogsArgs {
  follow?: boolean
  level?: string
  app?: string
  lines?: number
}

/** Lines `logs` prints before following, unless --lines says otherwise. */
const DEFAULT_LINES = 50

/**
 * Print the daemon's log from the home's files (no daemon needed): the last --lines lines that
 * pass --level and --app, readable (or as the file holds them with --json); with --follow, then
 * every new line until Ctrl-C or SIGTERM. Every flag is checked before a file is opened.
 * @throws USAGE for a bad --level or --lines
 */
export async function logs(ctx: CliContext, args: LogsArgs): Promise<void> {
  const ac = new AbortController()
  const stop = () => ac.abort()
  // a reader that went away (`logs -f | head`) ends --follow, as it ends `tail -f`
  const gone = (err: NodeJS.ErrnoException) => (err.code === 'EPIPE' ? stop() : undefined)
  process.once('SIGINT', stop)
  process.once('SIGTERM', stop)
  ctx.io.stdout.on('error', gone)
  try {
    await printLogs(ctx, args, ac.signal)
  } finally {
    process.off('SIGINT', stop)
    process.off('SIGTERM', stop)
    ctx.io.stdout.off('error', gone)
  }
}

/**
 * `logs` with the signal that ends --follow (tests pass their own); `pollMs`: how often the file is looked at.
 * @throws USAGE for a bad --level or --lines
 */
export async function printLogs(ctx: CliContext, args: LogsArgs, signal: AbortSignal, pollMs = 250): Promise<void> {
  const filter: LogFilter = {}
  if (args.level !== undefined) filter.level = parseLevel(args.level, '--level')
  if (args.app !== undefined) {
    if (typeof args.app !== 'string' || args.app === '') throw HypernetError.USAGE(`--app: expected an app name, got ${JSON.stringify(args.app)}`)
    filter.app = args.app
  }
  const n = args.lines ?? DEFAULT_LINES
  if (!Number.isInteger(n) || n < 0) throw HypernetError.USAGE(`--lines: expected a whole number, 0 or more, got ${args.lines}`)
  const file = join(ctx.paths.logs, 'host.log')
  const print = (line: string) => {
    const entry = parseLine(line)
    ctx.io.stdout.write((ctx.json ? line : entry ? formatLine(entry, { date: true }) : formatLine({ msg: line })) + '\n')
  }
  const tail = new LogTail(file)
  try {
    const last = tail.last(n, filter)
    // --lines 0 asked for nothing: print nothing
    if (!args.follow && last.length === 0 && n > 0 && !ctx.json)
      ctx.say(`no log lines${filter.level || filter.app ? ' that pass the filters' : ''} in ${searched(file)}`)
    for (const line of last) print(line)
    if (args.follow) await tail.follow((line) => (matches(parseLine(line), filter) ? print(line) : undefined), signal, pollMs)
  } finally {
    tail.close()
  }
}

/** The files an empty `last` looked through: the live one and every rotated one (it read them all). */
function searched(file: string): string {
  let k = 0
  while (existsSync(`${file}.${k + 1}`)) k++
  const base = basename(file)
  return file + (k === 0 ? '' : k === 1 ? ` and ${base}.1` : ` and ${base}.1 to ${base}.${k}`)
}
