import { formatId } from '../encoding/ids.ts'
import { HypernetError } from '../errors.ts'
import { parseAddress } from './kv-address.ts'
import type { KvResult } from './kv-results.ts'
import { entryRecord } from './kv-state.ts'
import type { KvEntry, KvRole, KvState } from './kv-state.ts'

/** What a host keeps alive, read and changed without the network (`kv ls`, `kv unpin`). */

export interface ListEntry extends KvResult {
  role: KvRole
  signer: string | null
  /** Value bytes (0 for a removal). */
  size: number
  updatedAt: string
  lastRepair: string | null
  copies: number | null
}

/** What a home's host owns and pins. @throws BAD_MESSAGE when the state file is damaged */
export async function listEntries(state: KvState): Promise<ListEntry[]> {
  const out: ListEntry[] = []
  for (const role of ['owned', 'pinned'] as const) for (const e of await state.list(role)) out.push(listEntry(role, e))
  return out
}

/** Stop keeping a pinned record alive. @throws USAGE, NOT_FOUND when it is not pinned */
export async function unpinEntry(state: KvState, ref: string): Promise<{ address: string; unpinned: true }> {
  const hex = formatId(parseAddress(ref))
  let had = false
  await state.update('pinned', hex, (e) => {
    had = e !== null
    return null
  })
  if (!had) throw HypernetError.NOT_FOUND(`${hex}: not pinned by this host (see kv ls)`)
  return { address: hex, unpinned: true }
}

function listEntry(role: KvRole, e: KvEntry): ListEntry {
  const size = e.kind === 'immutable' ? e.data.length / 2 : (valueSize(e) ?? 0)
  return {
    role,
    address: e.address,
    kind: e.kind,
    key: e.key,
    owner: e.owner,
    seq: e.seq,
    state: e.removed ? 'removed' : 'value',
    signer: e.signer,
    size,
    updatedAt: e.updatedAt,
    lastRepair: e.lastRepair,
    copies: e.copies
  }
}

function valueSize(e: KvEntry): number | null {
  try {
    return entryRecord(e).value?.byteLength ?? 0
  } catch {
    return null
  }
}
