import { KV, KV_WIRE_ERROR } from '../constants.ts'
import { formatId } from '../encoding/ids.ts'
import { HypernetError } from '../errors.ts'
import { decodeExact, kvEnvelope } from '../messages.ts'
import { recordTarget } from './kv-address.ts'
import { MAX_ENVELOPE_BYTES, compareRecords, openEnvelope } from './kv-record.ts'
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

interface Entry {
  bytes: Buffer
  record: KvRecord
  owner: string
  expiresAt: number
}

/** The records one node keeps for others, with their quotas and TTL (the rules above). */
export class KvNodeStore {
  private readonly entries = new Map<string, Entry>()
  private readonly byOwner = new Map<string, number>()
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

  /** Bytes stored for others. */
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
    let record: KvRecord
    try {
      const env = decodeExact(kvEnvelope, bytes, 'kv envelope')
      if (!recordTarget(env.address).equals(Buffer.from(target))) return KV_WIRE_ERROR.BAD_RECORD
      record = openEnvelope(env.address, env)
    } catch (err) {
      if (err instanceof HypernetError && err.code === 'SIGNATURE_INVALID') return KV_WIRE_ERROR.NOT_OWNER
      return KV_WIRE_ERROR.BAD_RECORD
    }
    const k = formatId(target)
    const old = this.live(k)
    if (old) {
      const cmp = compareRecords(record, old.record)
      if (cmp === 0) {
        old.expiresAt = this.now() + this.ttlMs
        return 0
      }
      if (record.seq < old.record.seq) return KV_WIRE_ERROR.SEQ_TOO_LOW
      if (record.seq === old.record.seq) {
        if (old.record.tombstone && !record.tombstone) return KV_WIRE_ERROR.REMOVED
        if (!old.record.tombstone && !record.tombstone) return KV_WIRE_ERROR.SEQ_REUSED
        if (old.record.tombstone && record.tombstone) return 0
      }
    }
    const owner = formatId(record.owner)
    const size = bytes.byteLength
    if (!this.fits(owner, size, old)) {
      this.sweep()
      if (!this.fits(owner, size, old)) return KV_WIRE_ERROR.QUOTA
    }
    if (old) this.drop(k, old)
    this.entries.set(k, { bytes: Buffer.from(bytes), record, owner, expiresAt: this.now() + this.ttlMs })
    this.used += size
    this.byOwner.set(owner, (this.byOwner.get(owner) ?? 0) + size)
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

  private fits(owner: string, size: number, old: Entry | null): boolean {
    const freed = old ? old.bytes.byteLength : 0
    const ownerFreed = old && old.owner === owner ? freed : 0
    return this.used - freed + size <= this.quotaBytes && (this.byOwner.get(owner) ?? 0) - ownerFreed + size <= this.ownerQuotaBytes
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
    this.used -= e.bytes.byteLength
    const left = (this.byOwner.get(e.owner) ?? 0) - e.bytes.byteLength
    if (left > 0) this.byOwner.set(e.owner, left)
    else this.byOwner.delete(e.owner)
  }
}
