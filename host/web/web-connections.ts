import type { HistoryTotals } from './web-history.ts'

/**
 * The part of the host's status (HostStatus, host/daemon) the page's server reads, and what it
 * makes of it: one row per live connection, with its throughput, and the totals the graphs sample.
 * The daemon imports this folder, so the shape is restated here rather than imported.
 */

export interface WebSnapshot {
  apps: Array<{ bytesIn?: number; bytesOut?: number }>
  services: Array<{
    app: string
    service: string
    hash: string
    connections: number
    paths?: { open: Array<{ peer: string; path: string; remote: string | null; relay: string | null; bytesIn?: number; bytesOut?: number }> }
  }>
  bridges?: Array<{
    id: string
    kind: string
    name: string | null
    target: string
    bytesIn: number
    bytesOut: number
    open: Array<{ peer: string; path: string; remote?: string | null; relay?: string | null; bytesIn: number; bytesOut: number }>
  }>
  hidden?: Array<{ app: string; service: string; connections: number }>
}

/** A live connection as the page lists it. */
export interface ConnectionRow {
  /** Stable while the connection lives (the page keys its table rows by it). */
  id: string
  /** `app/service` for a service, `bridge <id>` for a bridge. */
  via: string
  /** The peer's key; '' for a hidden service's client, whom the host never learns. */
  peer: string
  /** `direct`, `relayed`, or `anonymous` (through onion relays). */
  path: 'direct' | 'relayed' | 'anonymous'
  remote: string | null
  /** Bytes on the wire each way so far; null where the status counts none (a hidden service's connections). */
  bytesIn: number | null
  bytesOut: number | null
  /** Bytes per second each way since the snapshot before (0 for a new connection; null without byte counts). */
  inPerSecond: number | null
  outPerSecond: number | null
}

const anonymousPaths = new Set(['onion', 'hidden', 'anonymous'])

function pathOf(p: string): ConnectionRow['path'] {
  return anonymousPaths.has(p) ? 'anonymous' : p === 'relayed' ? 'relayed' : 'direct'
}

/** Connections open now and bytes moved since start: the graphs' samples. */
export function totalsOf(s: WebSnapshot): HistoryTotals {
  let connections = 0
  let bytesIn = 0
  let bytesOut = 0
  for (const a of s.apps) {
    bytesIn += a.bytesIn ?? 0
    bytesOut += a.bytesOut ?? 0
  }
  for (const x of s.services) connections += x.connections
  for (const h of s.hidden ?? []) connections += h.connections
  for (const b of s.bridges ?? []) {
    connections += b.open.length
    bytesIn += b.bytesIn
    bytesOut += b.bytesOut
  }
  return { connections, bytesIn, bytesOut }
}

/** Turns successive snapshots into connection rows with throughput. */
export class ConnectionMeter {
  private prev = new Map<string, { bytesIn: number; bytesOut: number; at: number }>()

  rows(s: WebSnapshot, at = Date.now()): ConnectionRow[] {
    const raw: Array<Omit<ConnectionRow, 'id' | 'inPerSecond' | 'outPerSecond'> & { key: string }> = []
    for (const x of s.services)
      for (const c of x.paths?.open ?? [])
        raw.push({
          key: `s:${x.hash}:${c.peer}:${c.remote}`,
          via: `${x.app}/${x.service}`,
          peer: c.peer,
          path: pathOf(c.path),
          remote: c.remote,
          bytesIn: c.bytesIn ?? 0,
          bytesOut: c.bytesOut ?? 0
        })
    for (const b of s.bridges ?? [])
      for (const c of b.open)
        raw.push({
          key: `b:${b.id}:${c.peer}:${c.remote ?? ''}`,
          via: `bridge ${b.name ?? b.target}`,
          peer: c.peer,
          path: pathOf(c.path),
          remote: c.remote ?? null,
          bytesIn: c.bytesIn,
          bytesOut: c.bytesOut
        })
    // a hidden service's status counts its connections and says nothing more of them
    for (const h of s.hidden ?? [])
      for (let i = 0; i < h.connections; i++)
        raw.push({
          key: `h:${h.app}/${h.service}`,
          via: `${h.app}/${h.service} (hidden)`,
          peer: '',
          path: 'anonymous',
          remote: null,
          bytesIn: null,
          bytesOut: null
        })
    // two connections with the same peer and address are told apart by their order
    const seen = new Map<string, number>()
    const next = new Map<string, { bytesIn: number; bytesOut: number; at: number }>()
    const rows = raw.map(({ key, ...r }) => {
      const n = seen.get(key) ?? 0
      seen.set(key, n + 1)
      const id = `${key}:${n}`
      const p = this.prev.get(id)
      const dt = p ? (at - p.at) / 1000 : 0
      next.set(id, { bytesIn: r.bytesIn ?? 0, bytesOut: r.bytesOut ?? 0, at })
      const rate = (now: number | null, before: number | null | undefined) =>
        now === null ? null : p && dt > 0 && typeof before === 'number' ? Math.max(0, Math.round((now - before) / dt)) : 0
      return { id, ...r, inPerSecond: rate(r.bytesIn, p?.bytesIn), outPerSecond: rate(r.bytesOut, p?.bytesOut) }
    })
    this.prev = next
    return rows
  }
}
