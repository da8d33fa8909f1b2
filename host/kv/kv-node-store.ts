import { KV, KV_WIRE_ERROR } from '../constants.ts'
import { formatId } from '../encoding/ids.ts'
import { HypernetError } from '../errors.ts'
import { decodeExact, kvEnvelope } from '../messages.ts'
import { recordTarget } from './kv-address.ts'
import type { KvEnvelopeWire } from '../messages.ts'
import { MAX_ENVELOPE_BYTES, openEnvelope } from './kv-record.ts'
import type { KvRecord } from './kv-record.ts'

/**
 * What a DHT node keeps for others through the KV plugin: verified envelopes by target, in
 * memory, each for `ttlMs` after its last put (as HyperDHT keeps its own records).
 *
 * Rules for a put, in order (the refusal is the wire error the writer gets back):
 * 1. it decodes and fits (BAD_RECORD, TOO_LARGE), and is for the target it was sent to
 *    (BAD_RECORD);
 * 2. both signatures verify: the address key's and the owner's (NOT_OWNER);
 * 3. it does not rank below what is stored: a lower seq is SEQ_TOO_LOW; a value at the seq of
 *    a stored removal is REMOVED; a different value at the stored seq is SEQ_REUSED. A removal
 *    at the stored seq outranks the value; the same bytes again refresh the TTL;
 * 4. it fits the quotas: `quotaBytes` for all owners, `ownerQuotaBytes` for its owner (QUOTA).
 */

export interface KvNodeStoreInit {
  quotaBytes?: number
  ownerQuotaBytes?: number
  ttlMs?: number
  now?: () => number
}

/**
 * One stored record, as small as it can be: the envelope's bytes in an ArrayBuffer of their own
 * (a slice of a shared pool or of a received datagram would keep the whole of it alive), what
 * ranking needs (the signed record is `bytes[recordStart, recordEnd)`), and the owner's tally.
 */
interface Entry {
  bytes: Buffer
  seq: number
  tombstone: boolean
  recordStart: number
  recordEnd: number
  owner: Owner
  expiresAt: number
}

interface Owner {
  id: string
  used: number
}

/**
 * What one record costs a node in memory beyond its envelope bytes (the entry, its map slot and
 * key, the ArrayBuffer's own header), charged against the quotas so they bound memory, not only
 * payload: measured 600-1500 bytes a record on Node 20 (test/kv/kv-quota-flood.test.ts).
 */
export const KV_ENTRY_OVERHEAD_BYTES = 1024

/** The records one node keeps for others, with their quotas and TTL (the rules above). */
export class KvNodeStore {
  private readonly entries = new Map<string, Entry>()
  private readonly byOwner = new Map<string, Owner>()
  private used = 0
  readonly quotaBytes: number
  readonly ownerQuotaBytes: number
  private readonly ttlMs: number
  private readonly now: () => number

  constructor(init: KvNodeStoreInit = {}) {
    this.quotaBytes = init.quotaBytes ?? KV.nodeQuotaBytes
    this.ownerQuotaBytes = init.ownerQuotaBytes ?? KV.ownerQuotaBytes
    this.ttlMs = init.ttlMs ?? KV.recordTtlMs
    this.now = init.now ?? Date.now
  }

  /** Bytes stored for others, each record charged its envelope plus KV_ENTRY_OVERHEAD_BYTES. */
  get usedBytes(): number {
    return this.used
  }

  get size(): number {
    return this.entries.size
  }

  /** The stored envelope for `target`, or null. */
  get(target: Uint8Array): Buffer | null {
    const e = this.live(formatId(target))
    return e ? e.bytes : null
  }

  /** Store `bytes` (an encoded envelope) at `target`: 0, or the KV_WIRE_ERROR refusing it. */
  put(target: Uint8Array, bytes: Uint8Array): number {
    if (bytes.byteLength > MAX_ENVELOPE_BYTES) return KV_WIRE_ERROR.TOO_LARGE
    // a copy in its own ArrayBuffer, decoded from the copy: nothing kept points into `bytes`
    const copy = Buffer.from(new Uint8Array(bytes).buffer)
    let env: KvEnvelopeWire
    let record: KvRecord
    try {
      env = decodeExact(kvEnvelope, copy, 'kv envelope')
      if (!recordTarget(env.address).equals(Buffer.from(target))) return KV_WIRE_ERROR.BAD_RECORD
      record = openEnvelope(env.address, env)
    } catch (err) {
      if (err instanceof HypernetError && err.code === 'SIGNATURE_INVALID') return KV_WIRE_ERROR.NOT_OWNER
      return KV_WIRE_ERROR.BAD_RECORD
    }
    const k = formatId(target)
    const old = this.live(k)
    if (old) {
      // the ranking of compareRecords (kv-record.ts): seq, then a removal, then the record bytes
      if (record.seq < old.seq) return KV_WIRE_ERROR.SEQ_TOO_LOW
      if (record.seq === old.seq) {
        if (record.tombstone === old.tombstone && Buffer.compare(env.record, old.bytes.subarray(old.recordStart, old.recordEnd)) === 0) {
          old.expiresAt = this.now() + this.ttlMs
          return 0
        }
        if (old.tombstone && !record.tombstone) return KV_WIRE_ERROR.REMOVED
        if (!old.tombstone && !record.tombstone) return KV_WIRE_ERROR.SEQ_REUSED
        if (old.tombstone && record.tombstone) return 0
      }
    }
    const ownerId = formatId(record.owner)
    const size = cost(copy)
    if (!this.fits(ownerId, size, old)) {
      this.sweep()
      if (!this.fits(ownerId, size, old)) return KV_WIRE_ERROR.QUOTA
    }
    if (old) this.drop(k, old)
    let owner = this.byOwner.get(ownerId)
    if (!owner) this.byOwner.set(ownerId, (owner = { id: ownerId, used: 0 }))
    const recordStart = env.record.byteOffset - copy.byteOffset
    this.entries.set(k, {
      bytes: copy,
      seq: record.seq,
      tombstone: record.tombstone,
      recordStart,
      recordEnd: recordStart + env.record.byteLength,
      owner,
      expiresAt: this.now() + this.ttlMs
    })
    this.used += size
    owner.used += size
    return 0
  }

  /** Drop every expired record. */
  sweep(): void {
    const now = this.now()
    for (const [k, e] of this.entries) if (e.expiresAt <= now) this.drop(k, e)
  }

  clear(): void {
    this.entries.clear()
    this.byOwner.clear()
    this.used = 0
  }

  /** Records stored for `owner` (hex) and the bytes they are charged, for status and tests. */
  ownerUsage(owner: string): number {
    return this.byOwner.get(owner)?.used ?? 0
  }

  private fits(owner: string, size: number, old: Entry | null): boolean {
    const freed = old ? cost(old.bytes) : 0
    const ownerFreed = old && old.owner.id === owner ? freed : 0
    return this.used - freed + size <= this.quotaBytes && (this.byOwner.get(owner)?.used ?? 0) - ownerFreed + size <= this.ownerQuotaBytes
  }

  private live(k: string): Entry | null {
    const e = this.entries.get(k)
    if (!e) return null
    if (e.expiresAt > this.now()) return e
    this.drop(k, e)
    return null
  }

  private drop(k: string, e: Entry): void {
    this.entries.delete(k)
    const size = cost(e.bytes)
    this.used -= size
    e.owner.used -= size
    if (e.owner.used <= 0) this.byOwner.delete(e.owner.id)
  }
}

/** What a record is charged against the quotas. */
function cost(bytes: Uint8Array): number {
  return bytes.byteLength + KV_ENTRY_OVERHEAD_BYTES
}
