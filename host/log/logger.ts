import { appendFileSync, mkdirSync } from 'node:fs'
import { dirname } from 'node:path'

/**
 * Structured logs: one JSON object a line to a file (for machines and `tail -f | jq`), and a
 * readable line on a terminal, each filtered by level. Synchronous appends keep lines whole
 * and ordered even when the process is dying.
 */

export type Level = 'debug' | 'info' | 'warn' | 'error'
const ORDER: Record<Level, number> = { debug: 10, info: 20, warn: 30, error: 40 }

export interface Logger {
  debug(msg: string, fields?: Record<string, unknown>): void
  info(msg: string, fields?: Record<string, unknown>): void
  warn(msg: string, fields?: Record<string, unknown>): void
  error(msg: string, fields?: Record<string, unknown>): void
  /** A logger whose lines carry `fields` too. */
  child(fields: Record<string, unknown>): Logger
}

export interface LoggerInit {
  /** JSON lines go here; none if absent. */
  file?: string
  fileLevel?: Level
  /** Readable lines go here (e.g. process.stderr); none if absent. */
  terminal?: NodeJS.WritableStream
  terminalLevel?: Level
}

/** Create a logger. */
export function createLogger(init: LoggerInit, base: Record<string, unknown> = {}): Logger {
  if (init.file) mkdirSync(dirname(init.file), { recursive: true })
  const fileLevel = ORDER[init.fileLevel ?? 'debug']
  const termLevel = ORDER[init.terminalLevel ?? 'info']
  const write = (level: Level, msg: string, fields: Record<string, unknown> = {}) => {
    const all = { ...base, ...fields }
    if (init.file && ORDER[level] >= fileLevel) {
      try {
        appendFileSync(init.file, JSON.stringify({ time: new Date().toISOString(), level, msg, ...all }, replacer) + '\n')
      } catch {
        // a full disk must not take the host down with it
      }
    }
    if (init.terminal && ORDER[level] >= termLevel) {
      const extra = Object.entries(all)
        .map(([k, v]) => `${k}=${typeof v === 'string' ? v : JSON.stringify(v, replacer)}`)
        .join(' ')
      init.terminal.write(`${new Date().toISOString().slice(11, 23)} ${level.toUpperCase().padEnd(5)} ${msg}${extra ? '  ' + extra : ''}\n`)
    }
  }
  return {
    debug: (m, f) => write('debug', m, f),
    info: (m, f) => write('info', m, f),
    warn: (m, f) => write('warn', m, f),
    error: (m, f) => write('error', m, f),
    child: (fields) => createLogger({ ...init, file: init.file }, { ...base, ...fields })
  }
}

/** A logger that drops everything (tests, library use). */
export function silentLogger(): Logger {
  const noop = () => {}
  const l: Logger = { debug: noop, info: noop, warn: noop, error: noop, child: () => l }
  return l
}

function replacer(_k: string, v: unknown): unknown {
  if (v instanceof Uint8Array) return Buffer.from(v).toString('hex')
  // Buffer's toJSON runs before a replacer sees it
  const b = v as { type?: unknown; data?: unknown }
  if (b && b.type === 'Buffer' && Array.isArray(b.data)) return Buffer.from(b.data).toString('hex')
  if (typeof v === 'bigint') return v.toString()
  return v
}
