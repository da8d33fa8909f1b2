import { safeText } from '../util/safe-text.ts'

/**
 * A log line for people: `22:46:44.123 WARN  something odd  app=echo key=abcd` from the JSON
 * object the file holds. Written here rather than with pino-pretty: the terminal and `logs`
 * need one short line each, and pino-pretty brings a dozen packages (and a worker transport in
 * its usual setup) for colours and options we do not use. Plugins and peers put text in these
 * lines, so the whole line is escaped (safe-text.ts).
 */

/** One parsed log line: what pino wrote, plus any fields. */
export interface LogEntry {
  level?: unknown
  time?: unknown
  msg?: unknown
  [field: string]: unknown
}

/** The readable line for `entry`; with `date`, the time carries its day too (`logs` does). */
export function formatLine(entry: LogEntry, opts: { date?: boolean } = {}): string {
  const { level, time, msg, ...fields } = entry
  const t = typeof time === 'string' ? time : typeof time === 'number' ? new Date(time).toISOString() : ''
  const when = opts.date ? t.replace('T', ' ').replace(/Z$/, '') : t.slice(11, 23)
  const extra = Object.entries(fields)
    .map(([k, v]) => `${k}=${show(v)}`)
    .join(' ')
  const text = `${when} ${String(level ?? '')
    .toUpperCase()
    .padEnd(5)} ${String(msg ?? '')}${extra ? '  ' + extra : ''}`
  return safeText(text)
}

/** A JSON line of the log file as an entry; null for a line that is not a JSON object. */
export function parseLine(line: string): LogEntry | null {
  try {
    const v = JSON.parse(line)
    return v !== null && typeof v === 'object' && !Array.isArray(v) ? (v as LogEntry) : null
  } catch {
    return null
  }
}

function show(v: unknown): string {
  if (typeof v === 'string') return /[\s="]/.test(v) || v === '' ? JSON.stringify(v) : v
  return JSON.stringify(v) ?? String(v)
}
