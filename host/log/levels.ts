import { HypernetError } from '../errors.ts'

/**
 * The log levels, lowest first. A level set anywhere (flag, environment, config file) is one of
 * these four words; a line is kept when its level is at or above the level in force.
 */

export const LEVELS = ['debug', 'info', 'warn', 'error'] as const
export type Level = (typeof LEVELS)[number]

const RANK = new Map<string, number>([
  ['debug', 10],
  ['info', 20],
  ['warn', 30],
  ['error', 40]
])

/** Whether `v` is one of LEVELS. */
export function isLevel(v: unknown): v is Level {
  return typeof v === 'string' && RANK.has(v)
}

/**
 * A level as a person typed it (any case, surrounding spaces ignored).
 * @throws USAGE naming `where` (a flag or a variable) and what came
 */
export function parseLevel(raw: string, where: string): Level {
  const v = String(raw).trim().toLowerCase()
  if (isLevel(v)) return v
  throw HypernetError.USAGE(`${where}: expected one of ${LEVELS.join(', ')}, got ${JSON.stringify(raw)}`)
}

/** Whether a line of `level` (a word from a log file, maybe unknown) passes `min`; an unknown level always does. */
export function atLeast(level: unknown, min: Level): boolean {
  const r = typeof level === 'string' ? RANK.get(level) : undefined
  return r === undefined || r >= RANK.get(min)!
}

/** The lower of two levels. */
export function lowest(a: Level, b: Level): Level {
  return RANK.get(a)! <= RANK.get(b)! ? a : b
}
