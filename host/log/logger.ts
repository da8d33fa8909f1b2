import pino from 'pino'
import { LOG } from '../constants.ts'
import { formatLine, parseLine } from './format-line.ts'
import { lowest } from './levels.ts'
import type { Level } from './levels.ts'
import { RotatingFile } from './rotating-file.ts'

/**
 * Structured logs through pino: one JSON object a line to a size-rotated file (for machines,
 * `logs` and `tail -F | jq`), and a readable line on a terminal, each filtered by its own level.
 * The file keeps the shape it always had: `{"level":"info","time":"<ISO>",...fields,"msg":...}`,
 * byte strings as hex. Everything runs in this thread (pino.multistream, no transport worker),
 * so close() is all shutdown needs, and pino flushes the file synchronously if the process exits.
 */

export type { Level } from './levels.ts'

export interface Logger {
  debug(msg: string, fields?: Record<string, unknown>): void
  info(msg: string, fields?: Record<string, unknown>): void
  warn(msg: string, fields?: Record<string, unknown>): void
  error(msg: string, fields?: Record<string, unknown>): void
  /** A logger whose lines carry `fields` too (an app's name, say). */
  child(fields: Record<string, unknown>): Logger
}

/** The root logger: it owns the file, so it can flush and close it. */
export interface RootLogger extends Logger {
  /** Write pending lines now, synchronously (before a crash exits the process). */
  flushSync(): void
  /** Flush and close the file; lines logged afterwards are dropped. Safe twice. */
  close(): Promise<void>
  /** The file's rotations and failed writes since it opened (zeros without a file). */
  readonly stats: { rotations: number; errors: number }
}

export interface LoggerInit {
  /** JSON lines go here; none if absent. */
  file?: string
  fileLevel?: Level
  /** Rotate the file past this many bytes (default LOG.maxBytes). */
  maxBytes?: number
  /** Rotated files kept (default LOG.files). */
  files?: number
  /** Readable lines go here (e.g. process.stderr); none if absent. */
  terminal?: NodeJS.WritableStream
  terminalLevel?: Level
}

/** Create a logger. */
export function createLogger(init: LoggerInit, base: Record<string, unknown> = {}): RootLogger {
  const file = init.file ? new RotatingFile({ file: init.file, maxBytes: init.maxBytes ?? LOG.maxBytes, files: init.files ?? LOG.files }) : null
  const fileLevel = init.fileLevel ?? 'debug'
  const termLevel = init.terminalLevel ?? 'info'
  const streams: pino.StreamEntry[] = []
  if (file) streams.push({ level: fileLevel, stream: file })
  if (init.terminal) {
    const out = init.terminal
    streams.push({ level: termLevel, stream: { write: (line: string) => void out.write(formatLine(parseLine(line) ?? { msg: line }) + '\n') } })
  }
  const level = !streams.length ? 'silent' : file && init.terminal ? lowest(fileLevel, termLevel) : file ? fileLevel : termLevel
  const root = pino(
    {
      level,
      base: null,
      timestamp: pino.stdTimeFunctions.isoTime,
      formatters: { level: (label) => ({ level: label }), bindings: plain, log: plain }
    },
    pino.multistream(streams)
  )
  const logger = wrap(Object.keys(base).length ? root.child(base) : root)
  return {
    ...logger,
    flushSync: () => file?.flushSync(),
    close: async () => {
      await file?.close()
    },
    get stats() {
      return { rotations: file?.rotations ?? 0, errors: file?.errors ?? 0 }
    }
  }
}

function wrap(p: pino.Logger): Logger {
  return {
    debug: (m, f) => p.debug(f ?? {}, m),
    info: (m, f) => p.info(f ?? {}, m),
    warn: (m, f) => p.warn(f ?? {}, m),
    error: (m, f) => p.error(f ?? {}, m),
    child: (fields) => wrap(p.child(fields))
  }
}

/** A logger that drops everything (tests, library use). */
export function silentLogger(): Logger {
  const noop = () => {}
  const l: Logger = { debug: noop, info: noop, warn: noop, error: noop, child: () => l }
  return l
}

/** Fields as JSON shows them best: byte strings as hex, bigints as strings, errors as their message. */
function plain(o: Record<string, unknown>): Record<string, unknown> {
  let out: Record<string, unknown> | null = null
  for (const [k, v] of Object.entries(o)) {
    const p = value(v, 0)
    if (p !== v) (out ??= { ...o })[k] = p
  }
  return out ?? o
}

function value(v: unknown, depth: number): unknown {
  if (v === null || typeof v !== 'object') return typeof v === 'bigint' ? v.toString() : v
  if (v instanceof Uint8Array) return Buffer.from(v.buffer, v.byteOffset, v.byteLength).toString('hex')
  if (v instanceof Error) return v.message
  if (depth >= 4) return v
  if (Array.isArray(v)) {
    const mapped = v.map((x) => value(x, depth + 1))
    return mapped.some((x, i) => x !== v[i]) ? mapped : v
  }
  if (Object.getPrototypeOf(v) === Object.prototype) {
    const rec = v as Record<string, unknown>
    let out: Record<string, unknown> | null = null
    for (const [k, x] of Object.entries(rec)) {
      const p = value(x, depth + 1)
      if (p !== x) (out ??= { ...rec })[k] = p
    }
    return out ?? v
  }
  return v
}
