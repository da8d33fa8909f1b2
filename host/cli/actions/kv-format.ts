import type { getJson } from '../../kv/index.ts'
import type { ListEntry } from '../../kv/index.ts'
import type { PutResult, RemoveResult } from '../../kv/index.ts'
import type { KvSummary } from '../../kv/index.ts'

/** How `kv` results read for people (`--json` prints them as they are). */

export type PutJson = PutResult
/** A get as the control socket returns it (value as base64). */
export type GetJson = ReturnType<typeof getJson>
/** A removal's result. */
export type RemoveJson = RemoveResult

function copies(c: Record<string, number>): string {
  const parts = Object.entries(c).map(([path, n]) => `${path} ${n}`)
  return parts.length ? parts.join(', ') : 'none'
}

/** One line for a put. */
export function formatPut(r: PutJson): string[] {
  if (r.kind === 'immutable') return [`stored content-addressed at ${r.address} (copies: ${copies(r.copies)})`]
  return [`stored ${r.key} at ${r.address} (seq ${r.seq}, owner ${r.owner}, copies: ${copies(r.copies)})`]
}

/** The line said when a get wrote its value to a file. */
export function formatGet(r: GetJson, bytes: number, file: string): string {
  return `wrote ${bytes} bytes of ${r.key ?? r.address} (seq ${r.seq ?? '-'}) to ${file}`
}

/** One line for a removal or a release. */
export function formatRemove(r: RemoveJson): string[] {
  if (r.released)
    return [`released ${r.address}: this host no longer keeps it alive (a content-addressed value has no owner to remove it; its copies lapse within 48 h)`]
  if (r.already) return [`${r.key} at ${r.address} was already removed (seq ${r.seq})`]
  return [`removed ${r.key} at ${r.address} (seq ${r.seq}, copies of the removal: ${copies(r.copies)})`]
}

/** One line for a pin. */
export function formatPin(r: PutJson): string[] {
  const what = r.kind === 'immutable' ? 'content-addressed value' : `${r.key} of ${r.owner} (seq ${r.seq})`
  return [`pinned ${r.address}: ${what}; this host keeps it alive (copies: ${copies(r.copies)})`]
}

/** The `kv ls` table. */
export function formatList(entries: ListEntry[]): string[] {
  if (entries.length === 0) return ['this host owns and pins nothing in the DHT store']
  const lines = ['role    kind       state    address                                                           key (whose) / size / copies / last repair']
  for (const e of entries) {
    // one key name may be owned under several keys (kv put --key-name): say whose each row is
    const whose = e.role === 'owned' ? `(key ${e.signer ?? 'host'})` : `(owner ${e.owner ? `${e.owner.slice(0, 8)}…${e.owner.slice(-4)}` : '?'})`
    const name = e.kind === 'immutable' ? '(content)' : `${e.key} ${whose}`
    lines.push(
      `${e.role.padEnd(7)} ${e.kind.padEnd(10)} ${e.state.padEnd(8)} ${e.address}  ${name}  ${e.size} B  copies ${e.copies ?? '?'}  ${e.lastRepair ?? 'not yet repaired'}`
    )
  }
  return lines
}

/** The `kv` line of `status`. */
export function formatKvStatus(kv: KvSummary | undefined): string[] {
  if (!kv) return []
  const s = kv.storedForOthers
  const stores = !s
    ? 'not storing for others'
    : `${s.serving ? 'stores' : 'will store (once its DHT node is persistent)'} ${s.records} records, ${s.bytes} of ${s.quotaBytes} B, for others`
  const r = kv.lastRepair
  const repair = r ? `last repair ${r.at}: ${r.entries} kept alive, ${r.written} copies written` : 'no repair round yet'
  return [`kv        ${stores}`, `          ${repair}`]
}
