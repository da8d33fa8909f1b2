import { formatId } from '../encoding/ids.ts'
import type { KvRecord } from './kv-record.ts'

/** What DHT store operations answer (the control socket carries them as JSON). */

export interface KvResult {
  address: string
  kind: 'mutable' | 'immutable'
  key: string | null
  owner: string | null
  seq: number | null
  /** 'value', or 'removed' for a record its owner removed. */
  state: 'value' | 'removed'
}

/** A put, publish or pin. */
export interface PutResult extends KvResult {
  /** Replicas holding it afterwards, by storage path. */
  copies: Record<string, number>
}

/** A removal (or a release of a content-addressed value). */
export interface RemoveResult extends PutResult {
  /** It was removed before: nothing new was signed. */
  already: boolean
  /** A content-addressed value this host no longer keeps alive (nothing can remove it). */
  released: boolean
}

/** A verified read: the value, or null for a removal. */
export interface GetResult extends KvResult {
  value: Buffer | null
  /** Nodes that returned this version. */
  holders: number
  /** Replies ignored as corrupt or forged, by reason. */
  ignored: Record<string, number>
}

/** The result shape of a verified record. */
export function recordResult(r: KvRecord): KvResult {
  return { address: formatId(r.address), kind: 'mutable', key: r.key, owner: formatId(r.owner), seq: r.seq, state: r.tombstone ? 'removed' : 'value' }
}

/** The result shape of a content-addressed value. */
export function immutableResult(address: Uint8Array): KvResult {
  return { address: formatId(address), kind: 'immutable', key: null, owner: null, seq: null, state: 'value' }
}
