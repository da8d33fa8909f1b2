import { HypernetError } from '../errors.ts'
import type { Manifest } from '../manifest/index.ts'

/**
 * Which apps run on demand (socket activation, plugins/on-demand.ts) and with what idle period.
 * The operator decides: a host-wide period (`start --idle-stop`, config `idle.stopAfter`) and
 * per-app periods (`--idle-stop-app name=seconds`, config `idle.apps`), 0 meaning always
 * running. An app whose manifest grants timers or meshes does work with no connection open
 * (a timer that fires, a mesh it keeps up), so the host-wide period leaves it resident; only
 * a per-app period, the operator naming it, puts it on demand (its timers and meshes then end
 * with its worker).
 */

export interface IdlePolicy {
  /** Idle period for every app, in ms; absent or 0: apps stay running. */
  defaultMs?: number
  /** Per app name, in ms; 0: always running. Wins over `defaultMs` and over the manifest's grants. */
  apps?: Record<string, number>
}

/** The idle period (ms) an app runs under, 0 for always running, and why (for the log). */
export function idleStopFor(manifest: Manifest, policy: IdlePolicy | undefined): { ms: number; why: string } {
  const name = manifest.app.name
  // own keys only: an app may be named like an Object.prototype member (constructor)
  const own = policy?.apps && Object.hasOwn(policy.apps, name) ? policy.apps[name] : undefined
  if (own !== undefined) return { ms: own, why: 'set for this app' }
  const ms = policy?.defaultMs ?? 0
  if (ms === 0) return { ms: 0, why: 'no idle stop set' }
  const p = manifest.permissions ?? {}
  if (p.timers || (p.mesh?.length ?? 0) > 0)
    return { ms: 0, why: `its manifest grants ${p.timers ? 'timers' : 'meshes'}, so it stays running (name it in idle.apps to run it on demand)` }
  return { ms, why: 'the host-wide idle stop' }
}

/** Longest idle period accepted, in seconds (a week): beyond it, say 0 (always running). */
const MAX_IDLE_STOP_S = 7 * 24 * 3600
const APP_PERIOD = /^([a-z0-9][a-z0-9-]{0,63})=(\d+)$/

/**
 * The policy from `start`'s flags (or config.json's `idle`): a host-wide period in seconds and
 * `name=seconds` entries. `from` names the flags or the file in errors.
 * @throws USAGE naming the flag and the value when a period is not a whole number of seconds from 0 to MAX_IDLE_STOP_S, or an entry is not name=seconds
 */
export function parseIdlePolicy(
  seconds: number | undefined,
  apps: string[] | undefined,
  from = { all: '--idle-stop', app: '--idle-stop-app' }
): IdlePolicy | undefined {
  const check = (n: number, what: string): number => {
    if (!Number.isInteger(n) || n < 0 || n > MAX_IDLE_STOP_S)
      throw HypernetError.USAGE(`${what}: expected whole seconds from 0 (always running) to ${MAX_IDLE_STOP_S}, got ${n}`)
    return n * 1000
  }
  const out: IdlePolicy = {}
  if (seconds !== undefined) out.defaultMs = check(seconds, from.all)
  for (const entry of apps ?? []) {
    const m = APP_PERIOD.exec(entry)
    if (!m) throw HypernetError.USAGE(`${from.app}: expected <app name>=<seconds> such as echo=60, got ${JSON.stringify(entry)}`)
    out.apps ??= {}
    out.apps[m[1]] = check(Number(m[2]), `${from.app} ${m[1]}`)
  }
  return out.defaultMs === undefined && out.apps === undefined ? undefined : out
}
