import { HypernetError } from '../errors.ts'
import { LOG } from '../constants.ts'
import { parseLevel } from '../log/index.ts'
import type { Level } from '../log/index.ts'

/**
 * The environment variables the CLI reads, and only these (documented in the README's Commands
 * section). Any other HYPERNET_* variable is ignored: it is never parsed as an option.
 * HYPERNET_HOME is read where the home is resolved (host/home.ts).
 */
export const ENV = {
  HOME: 'HYPERNET_HOME',
  BOOTSTRAP: 'HYPERNET_BOOTSTRAP',
  JSON: 'HYPERNET_JSON',
  DEBUG: 'HYPERNET_DEBUG',
  LOG_LEVEL: 'HYPERNET_LOG_LEVEL'
} as const

const TRUE = new Set(['1', 'true', 'yes', 'on'])
const FALSE = new Set(['', '0', 'false', 'no', 'off'])

/**
 * A boolean variable: 1/true/yes/on, or 0/false/no/off/empty (any case); unset is false.
 * @throws USAGE naming the variable for any other value
 */
export function envFlag(name: string, env: NodeJS.ProcessEnv = process.env): boolean {
  const raw = env[name]
  if (raw === undefined) return false
  const v = raw.trim().toLowerCase()
  if (TRUE.has(v)) return true
  if (FALSE.has(v)) return false
  throw HypernetError.USAGE(`${name}: expected 1, true, yes, on, 0, false, no or off, got ${JSON.stringify(raw)}`)
}

/**
 * HYPERNET_BOOTSTRAP as a --bootstrap list (comma or space separated host:port), or undefined
 * when unset or empty.
 * @throws USAGE naming the variable and the bad entry
 */
export function envBootstrap(env: NodeJS.ProcessEnv = process.env): string[] | undefined {
  const list = (env[ENV.BOOTSTRAP] ?? '').split(/[\s,]+/).filter(Boolean)
  const bad = list.find((s) => !/^(?:[^@]+@)?[^:]+:\d{1,5}$/.test(s))
  if (bad !== undefined) throw HypernetError.USAGE(`${ENV.BOOTSTRAP}: expected host:port[,host:port...], got ${JSON.stringify(bad)}`)
  return list.length ? list : undefined
}

/**
 * The bootstrap list a command uses: `--bootstrap` > HYPERNET_BOOTSTRAP > config.json's
 * `bootstrap` > undefined (the command's own default: the daemon's network, else the public one).
 * @throws USAGE for a bad HYPERNET_BOOTSTRAP
 */
export function resolveBootstrap(flag: string[] | undefined, file: string[] | undefined, env: NodeJS.ProcessEnv = process.env): string[] | undefined {
  if (flag !== undefined) return flag
  return envBootstrap(env) ?? (file && file.length ? file : undefined)
}

/**
 * The daemon's log level: `--log-level` (`-v` is short for debug) > HYPERNET_LOG_LEVEL >
 * config.json's `log.level` (or its old name `logLevel`) > info. An empty variable is unset.
 * @throws USAGE naming the flag or the variable for a word that is not a level, or for -v with another --log-level
 */
export function resolveLogLevel(
  flag: string | undefined,
  verbose: boolean | undefined,
  file: { log?: { level?: Level }; logLevel?: Level },
  env: NodeJS.ProcessEnv = process.env
): Level {
  const fromFlag = flag === undefined ? undefined : parseLevel(flag, '--log-level')
  if (verbose && fromFlag && fromFlag !== 'debug') throw HypernetError.USAGE(`-v and --log-level ${fromFlag}: choose one (-v is --log-level debug)`)
  if (verbose) return 'debug'
  if (fromFlag) return fromFlag
  const raw = env[ENV.LOG_LEVEL]
  if (raw !== undefined && raw.trim() !== '') return parseLevel(raw, ENV.LOG_LEVEL)
  return file.log?.level ?? file.logLevel ?? LOG.level
}
