import type DHT from 'hyperdht'
import type { KeyPair } from 'hyperdht'
import { KV } from '../constants.ts'
import { decodeId, formatId } from '../encoding/ids.ts'
import { HypernetError, isHypernetError } from '../errors.ts'
import { silentLogger } from '../log/index.ts'
import type { Logger } from '../log/index.ts'
import { checkKeyName, checkValue, contentAddress, parseAddress, recordKeyPair } from './kv-address.ts'
import { fetchImmutable, fetchRecord } from './kv-fetch.ts'
import { checkStored, copiesByPath } from './kv-outcome.ts'
import { registerKvPlugin } from './kv-plugin.ts'
import type { KvPlugin } from './kv-plugin.ts'
import { compareRecords, signRecord } from './kv-record.ts'
import type { KvRecord } from './kv-record.ts'
import { replicateImmutable, replicateRecord } from './kv-replicate.ts'
import { Republisher } from './kv-republisher.ts'
import type { RepairReport, RepublisherInit } from './kv-republisher.ts'
import { KvSigners } from './kv-signers.ts'
import { KvState, entryRecord, immutableEntry, outranks, recordEntry } from './kv-state.ts'
import { listEntries, unpinEntry } from './kv-list.ts'
import type { ListEntry } from './kv-list.ts'
import { immutableResult, recordResult } from './kv-results.ts'
import type { GetResult, PutResult, RemoveResult } from './kv-results.ts'

/**
 * The DHT key-value store as one object: what `kv` commands and the daemon use. It runs the KV
 * plugin on its DHT node (storing for others once the node is persistent), signs new versions
 * with the host identity or a named key, verifies every read, and keeps what the host owns or
 * pinned alive with the republisher. State lives in `<home>/kv/` (kv-state.ts).
 */

export interface KvServiceComponents {
  dht: DHT
  /** Signs unless a named key is asked for. */
  identity: KeyPair
  paths: { kv: string; keys: string }
  log?: Logger
}

/** Options: what to run (plugin, republisher), quotas, and the republisher's policy. */
export interface KvServiceInit extends RepublisherInit {
  /** Store records for others on this node (the KV plugin). Default true. */
  serve?: boolean
  /** Keep owned and pinned records alive. Default true. */
  republish?: boolean
  /** What this node stores for others, all owners and per owner, in bytes. */
  quotaBytes?: number
  ownerQuotaBytes?: number
}

/** The `kv` part of the daemon's status. */
export interface KvSummary {
  /** Null when the plugin does not run here; `serving` once the node is persistent. */
  storedForOthers: { records: number; bytes: number; quotaBytes: number; serving: boolean } | null
  lastRepair: (RepairReport & { at: string }) | null
}

/** The store for one DHT node and one host home. `ready()` registers the plugin and starts repairs. */
export class KvService {
  readonly state: KvState
  readonly signers: KvSigners
  plugin: KvPlugin | null = null
  republisher: Republisher | null = null
  private readonly dht: DHT
  private readonly log: Logger
  private opened = false

  constructor(
    c: KvServiceComponents,
    private readonly init: KvServiceInit = {}
  ) {
    this.dht = c.dht
    this.log = c.log ?? silentLogger()
    this.state = new KvState(c.paths.kv)
    this.signers = new KvSigners(c.identity, c.paths.keys)
  }

  async ready(): Promise<void> {
    if (this.opened) return
    this.opened = true
    await this.state.ready()
    if (this.init.serve !== false) this.plugin = registerKvPlugin(this.dht, { quotaBytes: this.init.quotaBytes, ownerQuotaBytes: this.init.ownerQuotaBytes })
    if (this.init.republish !== false) {
      this.republisher = new Republisher(this.dht, this.state, this.log, this.init)
      await this.republisher.ready()
    }
  }

  async close(): Promise<void> {
    await this.republisher?.close()
  }

  /**
   * Put a value under `key`, signed by the host identity or the named key `signer`; returns the
   * address others get it by. `seq` defaults to above anything stored (at least Unix seconds).
   * @throws USAGE, KV_TOO_LARGE, KEY_NOT_FOUND, and what checkStored throws
   */
  async put(key: string, value: Uint8Array, opts: { signer?: string; seq?: number } = {}): Promise<PutResult> {
    checkKeyName(key)
    checkValue(value)
    const owner = await this.signers.key(opts.signer)
    const address = recordKeyPair(owner, key).publicKey
    const record = signRecord(owner, key, opts.seq ?? (await this.nextSeq(address)), value)
    return this.write(record, opts.signer ?? null)
  }

  /** Put a content-addressed value (its address is its hash). @throws KV_TOO_LARGE, KV_UNAVAILABLE, KV_REFUSED */
  async putImmutable(value: Uint8Array): Promise<PutResult> {
    checkValue(value)
    const address = contentAddress(value)
    await this.state.ensureRoom()
    const rep = await replicateImmutable(this.dht, value, { force: true, replicas: this.init.replicas })
    checkStored(formatId(address), rep, null)
    await recorded(
      this.state.update('owned', formatId(address), (e) => ({
        ...immutableEntry(address, value, e),
        lastRefresh: new Date().toISOString(),
        copies: rep.copies
      })),
      rep.copies
    )
    return { ...immutableResult(address), copies: copiesByPath(rep) }
  }

  /**
   * Publish an already signed record as it is (anyone may republish a signed record; only its
   * owner can make one). The storing nodes judge it. @throws what checkStored throws
   */
  async publish(record: KvRecord): Promise<PutResult> {
    const rep = await replicateRecord(this.dht, record, { force: true, replicas: this.init.replicas, paths: this.init.paths })
    checkStored(formatId(record.address), rep, record)
    return { ...recordResult(record), copies: copiesByPath(rep) }
  }

  /**
   * The latest verified version at `ref`: an address (named or content-addressed), or a key
   * name of this host's (or of `signer`). A removal comes back with state 'removed'.
   * @throws USAGE, NOT_FOUND when no node returned a verified version
   */
  async get(ref: string, opts: { signer?: string } = {}): Promise<GetResult> {
    const { address, byName } = await this.resolve(ref, opts.signer)
    const [f, im] = await Promise.all([fetchRecord(this.dht, address, { paths: this.init.paths }), byName ? null : fetchImmutable(this.dht, address)])
    if (f.record) return { ...recordResult(f.record), value: f.record.value, holders: f.holders, ignored: f.ignored }
    if (im?.value) return { ...immutableResult(address), value: im.value, holders: 1, ignored: im.ignored }
    const ignored = Object.values(f.ignored).reduce((a, b) => a + b, 0) + Object.values(im?.ignored ?? {}).reduce((a, b) => a + b, 0)
    throw HypernetError.NOT_FOUND(
      `${byName ? `${ref} (${formatId(address)})` : formatId(address)}: no node returned a verified value${ignored ? ` (${ignored} corrupt or forged replies ignored)` : ''}`
    )
  }

  /**
   * Remove what is at `ref` (a key name or an address): a removal signed by its owner, which
   * outranks the value everywhere. A content-addressed value this host put is released instead
   * (no longer kept alive). @throws NOT_FOUND, KV_NOT_OWNER, and what checkStored throws
   */
  async remove(ref: string, opts: { signer?: string } = {}): Promise<RemoveResult> {
    const { address, byName } = await this.resolve(ref, opts.signer)
    const hex = formatId(address)
    const owned = await this.state.get('owned', hex)
    if (owned?.kind === 'immutable') {
      await this.state.update('owned', hex, () => null)
      return { ...immutableResult(address), copies: {}, already: false, released: true }
    }
    const found = (await fetchRecord(this.dht, address, { paths: this.init.paths })).record
    const known = owned ? entryRecord(owned) : null
    const best = found && (!known || compareRecords(found, known) > 0) ? found : known
    if (!best) {
      if (!byName && (await fetchImmutable(this.dht, address)).value) {
        throw HypernetError.KV_NOT_OWNER(hex, 'a content-addressed value has no owner and cannot be removed (its copies lapse within 48 h of the last put)')
      }
      throw HypernetError.NOT_FOUND(byName ? `${ref}: nothing stored under this key (${hex})` : `${hex}: nothing stored there`)
    }
    // which of this host's keys owns it: the one recorded, the one asked for, or one that matches
    const signer = owned ? owned.signer : byName ? (opts.signer ?? null) : await this.signers.nameOf(best.owner)
    if (signer === undefined) throw HypernetError.KV_NOT_OWNER(hex, `it is owned by ${formatId(best.owner)}, and this host holds no such key`)
    const owner = await this.signers.key(signer)
    if (!recordKeyPair(owner, best.key).publicKey.equals(address))
      throw HypernetError.KV_NOT_OWNER(hex, `key ${formatId(owner.publicKey)} cannot sign at this address`)
    if (best.tombstone) return { ...recordResult(best), copies: {}, already: true, released: false }
    const removal = signRecord(owner, best.key, Math.max(best.seq + 1, unixSeconds()), null)
    return { ...(await this.write(removal, signer)), already: false, released: false }
  }

  /**
   * Keep someone's record (or a content-addressed value) alive from this host.
   * @throws USAGE, NOT_FOUND, KV_REMOVED, KV_QUOTA beyond KV.maxPins
   */
  async pin(ref: string): Promise<PutResult> {
    const address = parseAddress(ref)
    const hex = formatId(address)
    const [f, im] = await Promise.all([fetchRecord(this.dht, address, { paths: this.init.paths }), fetchImmutable(this.dht, address)])
    if (f.record?.tombstone) throw HypernetError.KV_REMOVED(hex, formatId(f.record.owner), f.record.seq)
    if (!f.record && !im.value) throw HypernetError.NOT_FOUND(`${hex}: no node returned a verified value to pin`)
    await this.state.update('pinned', hex, (e, count) => {
      if (!e && count >= KV.maxPins)
        throw HypernetError.KV_QUOTA(`kv pin: this host already pins ${KV.maxPins} records, the most it keeps for others; unpin some first`)
      return f.record ? recordEntry(f.record, null, e) : immutableEntry(address, im.value!, e)
    })
    const rep = f.record
      ? await replicateRecord(this.dht, f.record, { replicas: this.init.replicas, paths: this.init.paths })
      : await replicateImmutable(this.dht, im.value!, { replicas: this.init.replicas })
    return { ...(f.record ? recordResult(f.record) : immutableResult(address)), copies: copiesByPath(rep) }
  }

  /** Stop keeping a pinned record alive. @throws USAGE, NOT_FOUND when it is not pinned */
  unpin(ref: string): Promise<{ address: string; unpinned: true }> {
    return unpinEntry(this.state, ref)
  }

  /** What this host owns and pins. */
  list(): Promise<ListEntry[]> {
    return listEntries(this.state)
  }

  /** Run a repair round now. */
  async repairNow(): Promise<RepairReport> {
    if (!this.republisher) this.republisher = new Republisher(this.dht, this.state, this.log, this.init)
    return this.republisher.repairNow()
  }

  /** For status: what this node stores for others, and the last repair round. */
  summary(): KvSummary {
    const p = this.plugin
    return {
      storedForOthers: p ? { records: p.store.size, bytes: p.store.usedBytes, quotaBytes: p.store.quotaBytes, serving: !this.dht.ephemeral } : null,
      lastRepair: this.republisher?.lastRound ?? null
    }
  }

  private async write(record: KvRecord, signer: string | null): Promise<PutResult> {
    // a value this host cannot record would not be kept alive: check for room before publishing
    await this.state.ensureRoom()
    const rep = await replicateRecord(this.dht, record, { force: true, replicas: this.init.replicas, paths: this.init.paths })
    checkStored(formatId(record.address), rep, record)
    const now = new Date().toISOString()
    await recorded(
      this.state.update('owned', formatId(record.address), (e) =>
        e && !outranks(record, e) ? e : { ...recordEntry(record, signer, e), lastRefresh: now, copies: rep.copies }
      ),
      rep.copies
    )
    return { ...recordResult(record), copies: copiesByPath(rep) }
  }

  private async nextSeq(address: Buffer): Promise<number> {
    const found = (await fetchRecord(this.dht, address, { paths: this.init.paths })).record
    const local = await this.state.get('owned', formatId(address))
    return Math.max(unixSeconds(), (found?.seq ?? -1) + 1, (local?.seq ?? -1) + 1)
  }

  private async resolve(ref: string, signer?: string): Promise<{ address: Buffer; byName: boolean }> {
    const id = typeof ref === 'string' ? decodeId(ref) : null
    if (id) return { address: id, byName: false }
    checkKeyName(ref, 'key')
    return { address: recordKeyPair(await this.signers.key(signer), ref).publicKey, byName: true }
  }
}

/**
 * The state update after a publish: when the disk filled in between (the room was checked
 * first), say exactly what happened. The state file is as it was (atomic write).
 */
async function recorded<T>(update: Promise<T>, copies: number): Promise<T> {
  try {
    return await update
  } catch (err) {
    if (!isHypernetError(err, 'DISK_FULL')) throw err
    const path = String(err.details?.path ?? 'kv/state.json')
    throw HypernetError.DISK_FULL(
      path,
      'record it',
      err.cause,
      `it was stored on ${copies} nodes but this host did not record it, so it will not keep it alive (its copies lapse within 48 h); free some space and put it again`
    )
  }
}

function unixSeconds(): number {
  return Math.floor(Date.now() / 1000)
}
