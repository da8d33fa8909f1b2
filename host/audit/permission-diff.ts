import { LIMITS, PLUGIN_QUOTAS } from '../constants.ts'
import type { PluginQuotaName } from '../constants.ts'
import { formatBytes } from './describe-permissions.ts'
import type { Manifest } from '../manifest/index.ts'

/**
 * What a new release asks for beyond the installed one: shown before every upgrade, and the
 * test auto-upgrade applies (a release that adds anything is never taken without a person).
 * "Adds" means: a new service (more of the host exposed), a new dial or mesh grant, storage where there
 * was none or more of it, timers, more memory or more time per call, a higher quota (limits as
 * the host caps them).
 */

export interface PermissionDiff {
  /** One line per grant added or raised, "+ ..." */
  added: string[]
  /** One line per grant dropped or lowered, "- ..." */
  removed: string[]
}

/** Diff the grants of `next` against `prev`. */
export function permissionDiff(prev: Manifest, next: Manifest): PermissionDiff {
  const added: string[] = []
  const removed: string[] = []
  const svc = (m: Manifest) => new Set(m.services.map((s) => `${s.name} (port ${s.port})`))
  setDiff(svc(prev), svc(next), 'service', added, removed)
  setDiff(new Set(prev.permissions.dial ?? []), new Set(next.permissions.dial ?? []), 'dial', added, removed)
  setDiff(new Set(prev.permissions.mesh ?? []), new Set(next.permissions.mesh ?? []), 'mesh', added, removed)
  const q = (m: Manifest) => Math.min(m.permissions.storage?.quotaBytes ?? 0, LIMITS.maxStorageBytes)
  if (q(next) > q(prev)) added.push(`+ storage ${formatBytes(q(next))} (was ${q(prev) ? formatBytes(q(prev)) : 'none'})`)
  else if (q(next) < q(prev)) removed.push(`- storage ${q(next) ? formatBytes(q(next)) : 'none'} (was ${formatBytes(q(prev))})`)
  if (next.permissions.timers && !prev.permissions.timers) added.push('+ timers')
  if (!next.permissions.timers && prev.permissions.timers) removed.push('- timers')
  const mem = (m: Manifest) => Math.min(m.limits.memoryMiB ?? LIMITS.defaultMemoryMiB, LIMITS.maxMemoryMiB)
  if (mem(next) !== mem(prev))
    (mem(next) > mem(prev) ? added : removed).push(`${mem(next) > mem(prev) ? '+' : '-'} memory ${mem(next)} MiB (was ${mem(prev)} MiB)`)
  const time = (m: Manifest) => Math.min(m.limits.callTimeoutMs ?? LIMITS.defaultCallTimeoutMs, LIMITS.maxCallTimeoutMs)
  if (time(next) !== time(prev))
    (time(next) > time(prev) ? added : removed).push(`${time(next) > time(prev) ? '+' : '-'} time ${time(next)} ms per event (was ${time(prev)} ms)`)
  for (const k of Object.keys(PLUGIN_QUOTAS) as PluginQuotaName[]) {
    const q = (m: Manifest) => Math.min(m.limits[k] ?? PLUGIN_QUOTAS[k].default, PLUGIN_QUOTAS[k].max)
    if (q(next) !== q(prev)) (q(next) > q(prev) ? added : removed).push(`${q(next) > q(prev) ? '+' : '-'} ${k} ${q(next)} (was ${q(prev)})`)
  }
  return { added, removed }
}

function setDiff(prev: Set<string>, next: Set<string>, what: string, added: string[], removed: string[]): void {
  for (const x of next) if (!prev.has(x)) added.push(`+ ${what} ${x}`)
  for (const x of prev) if (!next.has(x)) removed.push(`- ${what} ${x}`)
}
