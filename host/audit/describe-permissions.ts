import { LIMITS, PLUGIN_QUOTAS } from '../constants.ts'
import type { PluginQuotaName } from '../constants.ts'
import type { Manifest } from '../manifest/index.ts'

/**
 * Permissions in words a person understands, with the risky ones flagged. Policy: anything
 * not listed in the manifest is denied; an empty `dial` list means the app dials nothing.
 */

export interface PermissionLine {
  /** Machine name: service, dial, mesh, storage, timers, memory, time, quota. */
  kind: string
  words: string
  risky: boolean
}

/** Describe what a manifest asks for, one line per grant, effective limits included. */
export function describePermissions(m: Manifest): PermissionLine[] {
  const out: PermissionLine[] = []
  for (const s of m.services) {
    out.push({ kind: 'service', words: `accept connections from any peer on service "${s.name}" (port ${s.port})`, risky: false })
  }
  for (const d of m.permissions.dial ?? []) {
    if (d.startsWith('self/')) {
      out.push({ kind: 'dial', words: `connect to other hosts running this app's "${d.slice(5)}" service`, risky: false })
    } else if (d.startsWith('hidden/')) {
      out.push({
        kind: 'dial',
        words: `connect anonymously, through onion relays, to the hidden service with key ${d.slice(7)} (other code, run by a host nobody can see)`,
        risky: true
      })
    } else if (d.startsWith('anonymous/')) {
      out.push({
        kind: 'dial',
        words: `connect anonymously, through onion relays, to the service with hash ${d.slice(10)} (other code, run by other hosts)`,
        risky: true
      })
    } else {
      out.push({ kind: 'dial', words: `connect to the service with hash ${d} (other code, run by other hosts)`, risky: true })
    }
  }
  for (const g of m.permissions.mesh ?? []) {
    if (g.startsWith('self/')) {
      out.push({
        kind: 'mesh',
        words: `join the mesh of this app's "${g.slice(5)}" service: be told of, and keep a connection to, every other host running it (they learn this host runs it)`,
        risky: false
      })
    } else {
      out.push({
        kind: 'mesh',
        words: `join the mesh of the service with hash ${g}: keep a connection to every host running it (other code, run by other hosts)`,
        risky: true
      })
    }
  }
  if (m.permissions.storage) {
    const q = m.permissions.storage.quotaBytes
    const capped = Math.min(q, LIMITS.maxStorageBytes)
    out.push({
      kind: 'storage',
      words: `keep up to ${formatBytes(capped)} of data on this machine${capped < q ? ` (asked ${formatBytes(q)}, capped)` : ''}`,
      risky: capped > 16 * 1024 * 1024
    })
  }
  if (m.permissions.timers) {
    out.push({ kind: 'timers', words: 'run code on a timer, even when no one is connected', risky: false })
  }
  const mem = m.limits.memoryMiB ?? LIMITS.defaultMemoryMiB
  const memCapped = Math.min(mem, LIMITS.maxMemoryMiB)
  out.push({ kind: 'memory', words: `use up to ${memCapped} MiB of memory${memCapped < mem ? ` (asked ${mem} MiB, capped)` : ''}`, risky: memCapped > 64 })
  const t = m.limits.callTimeoutMs ?? LIMITS.defaultCallTimeoutMs
  const tCapped = Math.min(t, LIMITS.maxCallTimeoutMs)
  out.push({ kind: 'time', words: `hold a CPU core for up to ${tCapped} ms per event${tCapped < t ? ` (asked ${t} ms, capped)` : ''}`, risky: tCapped > 1000 })
  for (const name of Object.keys(PLUGIN_QUOTAS) as PluginQuotaName[]) {
    const asked = m.limits[name]
    if (asked === undefined) continue
    const q = PLUGIN_QUOTAS[name]
    const capped = Math.min(asked, q.max)
    const bare = (n: number) => QUOTA_WORDS[name](n).replace(/^\S+ /, '')
    const note = capped < asked ? `, asked ${bare(asked)}, capped` : ''
    out.push({ kind: 'quota', words: `${QUOTA_WORDS[name](capped)} (host default ${bare(q.default)}${note})`, risky: capped > 4 * q.default })
  }
  return out
}

/** A quota's value in words; the first word is the verb, dropped when the default is shown. */
const QUOTA_WORDS: Record<PluginQuotaName, (n: number) => string> = {
  dialsInFlight: (n) => `have ${n} connection attempts pending at once`,
  dialsPerSecond: (n) => `start ${n} connection attempts a second`,
  connections: (n) => `keep ${n} outbound connections open at once`,
  bytesInPerSecond: (n) => `receive ${formatBytes(n)} a second`,
  bytesOutPerSecond: (n) => `send ${formatBytes(n)} a second`,
  idleTimeoutMs: (n) => `keep a connection that moves no data open for ${n >= 60_000 ? `${+(n / 60_000).toFixed(1)} min` : `${n / 1000} s`}`
}

/** 1536 -> "1.5 KiB". */
export function formatBytes(n: number): string {
  const units = ['bytes', 'KiB', 'MiB', 'GiB']
  let i = 0
  let v = n
  while (v >= 1024 && i < units.length - 1) {
    v /= 1024
    i++
  }
  return i === 0 ? `${n} bytes` : `${Number.isInteger(v) ? v : v.toFixed(1)} ${units[i]}`
}
