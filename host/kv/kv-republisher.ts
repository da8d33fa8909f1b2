import type DHT from 'hyperdht'
import { KV } from '../constants.ts'
import type { Logger } from '../log/index.ts'
import type { KvRecord } from './kv-record.ts'
import { replicateImmutable, replicateRecord } from './kv-replicate.ts'
import type { ReplicateReport } from './kv-replicate.ts'
import type { StorePath } from './kv-paths.ts'
import { entryRecord, outranks, recordEntry } from './kv-state.ts'
import type { KvEntry, KvRole, KvState } from './kv-state.ts'
import { Lifecycle } from '../util/lifecycle.ts'
import { backgroundCatch } from '../util/safety-catch.ts'

/**
 * Self-healing: keeps alive what this host owns or pinned. A repair round, every
 * `repairIntervalMs` (and once at start), walks to each entry's target and re-puts it to those
 * of the `replicas` closest answering nodes that lack it: a node that left is replaced by the
 * next closest, a node that lost or never had the record gets it again. Every
 * `refreshIntervalMs` the round re-puts to all replicas, resetting their TTL long before it
 * runs out. When the DHT holds a version that outranks the entry (the owner wrote or removed it
 * elsewhere), the entry adopts that version and keeps it alive instead, so a pinned value
 * becomes a pinned removal. Removals are kept alive for `tombstoneKeepMs`, then forgotten.
 */

export interface RepublisherInit {
  replicas?: number
  /** Storage paths written and read (default both). */
  paths?: StorePath[]
  repairIntervalMs?: number
  refreshIntervalMs?: number
  tombstoneKeepMs?: number
}

/** What one repair round did. */
export interface RepairReport {
  /** Entries checked. */
  entries: number
  /** Copies written (repairs and refreshes). */
  written: number
  /** Entries that adopted a newer version found in the DHT. */
  adopted: number
  /** Entries forgotten (removals past tombstoneKeepMs, entries that no longer verify). */
  dropped: number
  /** Entries no node would store. */
  unreplicated: number
  /** Corrupt or forged replies ignored. */
  ignored: number
}

/** Repair rounds over `<home>/kv/state.json`: `ready()` starts them, `close()` waits for the current one. */
export class Republisher {
  private timer: NodeJS.Timeout | null = null
  private chain: Promise<unknown> = Promise.resolve()
  private readonly life = new Lifecycle()
  private get closed(): boolean {
    return this.life.closed
  }
  private readonly replicaSets = new Map<string, string>()
  lastRound: (RepairReport & { at: string }) | null = null

  constructor(
    private readonly dht: DHT,
    private readonly state: KvState,
    private readonly log: Logger,
    private readonly init: RepublisherInit = {}
  ) {}

  /** Start the timer and a first round in the background (what a restarted host owns lives on). */
  ready(): Promise<void> {
    return this.life.ready(() => {
      this.timer = setInterval(() => void this.repairNow().catch(backgroundCatch(this.log, 'kv repair')), this.init.repairIntervalMs ?? KV.repairIntervalMs)
      this.timer.unref()
      void this.repairNow().catch(backgroundCatch(this.log, 'kv repair'))
    })
  }

  /** Run a repair round now (after any round in progress). */
  repairNow(): Promise<RepairReport> {
    const next = this.chain.then(() => this.round())
    this.chain = next.catch((err) => this.log.warn('kv repair round failed', { error: (err as Error).message }))
    return next
  }

  close(): Promise<void> {
    return this.life.close(async () => {
      if (this.timer) clearInterval(this.timer)
      await this.chain
    })
  }

  private async round(): Promise<RepairReport> {
    const report: RepairReport = { entries: 0, written: 0, adopted: 0, dropped: 0, unreplicated: 0, ignored: 0 }
    for (const role of ['owned', 'pinned'] as const) {
      for (const entry of await this.state.list(role)) {
        if (this.closed || this.dht.destroyed) return report
        report.entries++
        await this.repair(role, entry, report)
      }
    }
    this.lastRound = { ...report, at: new Date().toISOString() }
    if (report.written || report.adopted || report.dropped || report.unreplicated) this.log.info('kv repair round', { ...report })
    return report
  }

  private async repair(role: KvRole, entry: KvEntry, report: RepairReport): Promise<void> {
    const now = Date.now()
    const due = !entry.lastRefresh || now - Date.parse(entry.lastRefresh) >= (this.init.refreshIntervalMs ?? KV.refreshIntervalMs)
    const opts = { replicas: this.init.replicas, paths: this.init.paths, force: due }
    let rep: ReplicateReport
    let adopted: KvRecord | null = null
    if (entry.kind === 'immutable') {
      rep = await replicateImmutable(this.dht, Buffer.from(entry.data, 'hex'), opts)
    } else {
      let record: KvRecord
      try {
        record = entryRecord(entry)
      } catch (err) {
        this.log.error('kv entry no longer verifies; forgotten', { role, address: entry.address, error: (err as Error).message })
        await this.drop(role, entry, report)
        return
      }
      if (record.tombstone && now - Date.parse(entry.updatedAt) > (this.init.tombstoneKeepMs ?? KV.tombstoneKeepMs)) {
        await this.drop(role, entry, report)
        return
      }
      rep = await replicateRecord(this.dht, record, opts)
      if (rep.newer) {
        adopted = rep.newer
        report.adopted++
        report.written += written(rep)
        report.ignored += rep.ignored
        rep = await replicateRecord(this.dht, adopted, { ...opts, force: true })
      }
    }
    report.written += written(rep)
    report.ignored += rep.ignored
    if (rep.copies === 0) {
      report.unreplicated++
      this.log.warn('kv entry has no copies: no node stored it', { role, address: entry.address, refused: rep.paths.map((p) => p.refused) })
    }
    const set = rep.paths.map((p) => p.closest.join(',')).join(';')
    const before = this.replicaSets.get(entry.address)
    if (before !== undefined && before !== set)
      this.log.info('kv replica set changed; copies repaired', { role, address: entry.address, written: written(rep) })
    this.replicaSets.set(entry.address, set)
    await this.state.update(role, entry.address, (e) => {
      if (!e) return null // unpinned or forgotten meanwhile
      let next = e
      if (adopted && outranks(adopted, e)) next = recordEntry(adopted, e.signer, e)
      return { ...next, lastRepair: new Date(now).toISOString(), lastRefresh: due || adopted ? new Date(now).toISOString() : e.lastRefresh, copies: rep.copies }
    })
  }

  private async drop(role: KvRole, entry: KvEntry, report: RepairReport): Promise<void> {
    report.dropped++
    this.replicaSets.delete(entry.address)
    await this.state.update(role, entry.address, (e) => (e && e.data === entry.data ? null : e))
  }
}

function written(rep: ReplicateReport): number {
  return rep.paths.reduce((n, p) => n + p.stored, 0)
}
