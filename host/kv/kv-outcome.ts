import { HypernetError } from '../errors.ts'
import type { KvRecord } from './kv-record.ts'
import type { ReplicateReport } from './kv-replicate.ts'

/**
 * Turn what the storing nodes did with a write into a result or one clear error. A write
 * succeeds when at least one replica holds it and no node holds a newer version; otherwise the
 * nodes' refusals decide the error, most telling first.
 */

/** Refusals summed over the storage paths. */
export function refusals(rep: ReplicateReport): Record<string, number> {
  const out: Record<string, number> = {}
  for (const p of rep.paths) for (const [k, n] of Object.entries(p.refused)) out[k] = (out[k] ?? 0) + n
  return out
}

/**
 * Check that a write of `record` (absent: a content-addressed value) took.
 * @throws KV_STALE when a newer version is stored; KV_NOT_OWNER, KV_QUOTA, KV_REFUSED when
 * every replica refused; KV_UNAVAILABLE when no node answered or stored it
 */
export function checkStored(address: string, rep: ReplicateReport, record: KvRecord | null): void {
  const refused = refusals(rep)
  const details = { refused, paths: rep.paths }
  const n = (k: string) => refused[k] ?? 0
  if (record && rep.newer) throw HypernetError.KV_STALE(address, record.seq, rep.newer.seq, details)
  if (rep.copies > 0) return
  if (rep.paths.every((p) => p.replies === 0)) {
    throw HypernetError.KV_UNAVAILABLE(address, 'no DHT node answered (check the network or --bootstrap)', details)
  }
  if (n('NOT_OWNER')) throw HypernetError.KV_NOT_OWNER(address, `${n('NOT_OWNER')} storing nodes refused a write not signed by the owner`, details)
  if (record && (n('SEQ_TOO_LOW') || n('SEQ_REUSED') || n('REMOVED'))) {
    throw HypernetError.KV_STALE(address, record.seq, record.seq, details)
  }
  if (n('QUOTA'))
    throw HypernetError.KV_QUOTA(`${address}: the storing nodes are full (${n('QUOTA')} refused for their quota of what they store for others)`, details)
  const why = Object.entries(refused)
    .map(([k, v]) => `${v} ${k}`)
    .join(', ')
  if (why) throw HypernetError.KV_REFUSED(address, why, details)
  throw HypernetError.KV_UNAVAILABLE(
    address,
    'no storing node near its address kept a copy (nodes must run HyperDHT 6.31+ persistently; the Hypernet KV plugin or mutable records)',
    details
  )
}

/** Copies written per path, for results: { plugin: 8, mirror: 8 }. */
export function copiesByPath(rep: ReplicateReport): Record<string, number> {
  return Object.fromEntries(rep.paths.map((p) => [p.path, p.stored + p.held]))
}
