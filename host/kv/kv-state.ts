import { readFile, stat, statfs } from 'node:fs/promises'
import { join } from 'node:path'
import { formatId } from '../encoding/ids.ts'
import { HypernetError } from '../errors.ts'
import { withLock } from '../store/index.ts'
import { atomicWrite } from '../util/atomic-write.ts'
import { orDiskFull } from '../util/disk-full.ts'

/** Room an update needs besides the state file's own size: a new entry, the lock's owner file, pages. */
const UPDATE_ROOM_BYTES = 64 * 1024
import { compareRecords, envelopeBytes, openEnvelopeBytes } from './kv-record.ts'
import type { KvRecord } from './kv-record.ts'
import { makeDirs } from '../util/make-dirs.ts'

/**
 * What this host keeps alive in the DHT store, in `<home>/kv/state.json`:
 * `{ "version": 1, "owned": [entry], "pinned": [entry] }`. `owned` are records this host wrote
 * (values and removals) and content-addressed values it put; `pinned` are others' records it
 * chose to keep (`kv pin`). Each entry holds the signed bytes themselves, so the host can
 * republish after a restart without anyone's secret key. Changes are read-modify-write under a
 * lock folder and replaced atomically, so the daemon and a CLI run without it never lose each
 * other's changes.
 */

export type KvRole = 'owned' | 'pinned'

/** One record kept alive, as stored in the state file. */
export interface KvEntry {
  address: string
  kind: 'mutable' | 'immutable'
  /** Hex of the encoded envelope (mutable) or of the value itself (immutable). */
  data: string
  key: string | null
  owner: string | null
  /** The key that signs new versions: null for the host identity, else a key name (owned only). */
  signer: string | null
  seq: number | null
  removed: boolean
  createdAt: string
  updatedAt: string
  lastRepair: string | null
  lastRefresh: string | null
  /** Copies found in place at the last repair. */
  copies: number | null
}

interface KvStateFile {
  version: 1
  owned: KvEntry[]
  pinned: KvEntry[]
}

/** The state file of one home. */
export class KvState {
  readonly file: string

  constructor(readonly dir: string) {
    this.file = join(dir, 'state.json')
  }

  async ready(): Promise<void> {
    await makeDirs(this.dir, 0o700)
  }

  /** Every entry of a role. @throws BAD_MESSAGE when the state file is damaged */
  async list(role: KvRole): Promise<KvEntry[]> {
    return (await this.read())[role]
  }

  async get(role: KvRole, address: string): Promise<KvEntry | null> {
    return (await this.list(role)).find((e) => e.address === address) ?? null
  }

  /**
   * Change one entry under the lock: `fn` gets the current entry (or null) and returns the new
   * one, or null to delete it. Returns what `fn` returned.
   */
  async update(role: KvRole, address: string, fn: (e: KvEntry | null, count: number) => KvEntry | null): Promise<KvEntry | null> {
    await this.ready()
    return orDiskFull(this.file, 'record it', () => this.updateLocked(role, address, fn))
  }

  /**
   * Check, before anything is published, that the disk has room for one more update of the
   * state file (it is rewritten whole): a value put in the DHT that this host cannot record
   * would not be kept alive.
   * @throws DISK_FULL
   */
  async ensureRoom(): Promise<void> {
    await orDiskFull(this.file, 'record a new value', () => this.ready())
    const size = await stat(this.file).then(
      (s) => s.size,
      () => 0
    )
    const fs = await statfs(this.dir)
    const free = fs.bavail * fs.bsize
    if (free < size + UPDATE_ROOM_BYTES) {
      throw HypernetError.DISK_FULL(
        this.file,
        `record a new value (${size + UPDATE_ROOM_BYTES} bytes, ${free} free)`,
        { code: 'ENOSPC' },
        'nothing was published or changed, free some space and try again'
      )
    }
  }

  private async updateLocked(role: KvRole, address: string, fn: (e: KvEntry | null, count: number) => KvEntry | null): Promise<KvEntry | null> {
    return withLock(`${this.file}.lock`, async () => {
      const f = await this.read()
      const list = f[role]
      const i = list.findIndex((e) => e.address === address)
      const next = fn(i >= 0 ? list[i] : null, list.length)
      if (next && i >= 0) list[i] = next
      else if (next) list.push(next)
      else if (i >= 0) list.splice(i, 1)
      else return null
      await atomicWrite(this.file, JSON.stringify(f, null, 2) + '\n', 0o600)
      return next
    })
  }

  private async read(): Promise<KvStateFile> {
    let raw: string
    try {
      raw = await readFile(this.file, 'utf8')
    } catch (err: any) {
      if (err.code === 'ENOENT') return { version: 1, owned: [], pinned: [] }
      throw err
    }
    try {
      const f = JSON.parse(raw)
      if (f?.version !== 1 || !Array.isArray(f.owned) || !Array.isArray(f.pinned)) throw new Error('expected { version: 1, owned: [], pinned: [] }')
      return f as KvStateFile
    } catch (err) {
      throw HypernetError.BAD_MESSAGE(`${this.file}: not a kv state file (${(err as Error).message})`)
    }
  }
}

/** A state entry for a signed record (new, or `prev` brought up to date). */
export function recordEntry(r: KvRecord, signer: string | null, prev: KvEntry | null): KvEntry {
  const now = new Date().toISOString()
  return {
    address: formatId(r.address),
    kind: 'mutable',
    data: envelopeBytes(r).toString('hex'),
    key: r.key,
    owner: formatId(r.owner),
    signer: prev?.signer ?? signer,
    seq: r.seq,
    removed: r.tombstone,
    createdAt: prev?.createdAt ?? now,
    updatedAt: now,
    lastRepair: prev?.lastRepair ?? null,
    lastRefresh: prev?.lastRefresh ?? null,
    copies: prev?.copies ?? null
  }
}

/** A state entry for a content-addressed value. */
export function immutableEntry(address: Uint8Array, value: Uint8Array, prev: KvEntry | null): KvEntry {
  const now = new Date().toISOString()
  return {
    address: formatId(address),
    kind: 'immutable',
    data: Buffer.from(value).toString('hex'),
    key: null,
    owner: null,
    signer: null,
    seq: null,
    removed: false,
    createdAt: prev?.createdAt ?? now,
    updatedAt: now,
    lastRepair: prev?.lastRepair ?? null,
    lastRefresh: prev?.lastRefresh ?? null,
    copies: prev?.copies ?? null
  }
}

/** Whether `r` outranks the version an entry holds (an entry that no longer verifies is outranked). */
export function outranks(r: KvRecord, e: KvEntry): boolean {
  if (e.kind !== 'mutable') return true
  try {
    return compareRecords(r, entryRecord(e)) > 0
  } catch {
    return true
  }
}

/** The verified record an entry holds. @throws BAD_MESSAGE, SIGNATURE_INVALID if the file was altered */
export function entryRecord(e: KvEntry): KvRecord {
  return openEnvelopeBytes(Buffer.from(e.address, 'hex'), Buffer.from(e.data, 'hex'))
}
