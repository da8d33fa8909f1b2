/**
 * The host's logger: pino, JSON lines to a size-rotated file, readable lines to a terminal; and
 * what `logs` reads them with.
 */
export { createLogger, silentLogger } from './logger.ts'
export type { Logger, LoggerInit, RootLogger } from './logger.ts'
export { LEVELS, atLeast, isLevel, parseLevel } from './levels.ts'
export type { Level } from './levels.ts'
export { formatLine, parseLine } from './format-line.ts'
export type { LogEntry } from './format-line.ts'
export { LogTail, matches } from './log-reader.ts'
export type { LogFilter } from './log-reader.ts'
