/**
 * The host's logger: JSON lines to a file, a readable line to the terminal.
 */
export { createLogger, silentLogger } from './logger.ts'
export type { Level, Logger } from './logger.ts'
