import { COMMANDS } from 'hyperdht/lib/constants.js'
import type DHT from 'hyperdht'
import { contentAddress, recordTarget } from './kv-address.ts'
import { PATHS, WALK_RETRIES } from './kv-paths.ts'
import type { StorePath } from './kv-paths.ts'
import { compareRecords } from './kv-record.ts'
import type { KvRecord } from './kv-record.ts'

/**
 * Reads. A get walks to the target on both storage paths at once, verifies every reply itself
 * (never trusting a node: see kv-record.ts) and keeps the version that ranks highest. Corrupt
 * and forged replies are counted and dropped, so one lying node can neither fake a value nor
 * hide a newer one that an honest node returns.
 */

export interface FetchReport {
  /** The highest-ranked verified version, or null when no node returned one. */
  record: KvRecord | null
  /** Nodes that returned something. */
  replies: number
  /** Nodes that returned the version given in `record`. */
  holders: number
  /** Replies dropped as corrupt or forged, by reason. */
  ignored: Record<string, number>
}

/** Which storage paths to read (default both). */
export interface FetchOptions {
  paths?: StorePath[]
}

/** Fetch the latest verified version of the record at `address`. Never throws for what nodes do. */
export async function fetchRecord(dht: DHT, address: Uint8Array, opts: FetchOptions = {}): Promise<FetchReport> {
  const target = recordTarget(address)
  const found: KvRecord[] = []
  const report: FetchReport = { record: null, replies: 0, holders: 0, ignored: {} }
  await Promise.all(
    (opts.paths ?? ['plugin', 'mirror']).map(async (name) => {
      const path = PATHS[name]
      const query = dht.query({ target, ...path.read() }, { retries: path.retries })
      try {
        for await (const reply of query) {
          if (!reply.value) continue
          report.replies++
          try {
            const r = path.parse(address, reply)
            if (r) found.push(r)
          } catch (err) {
            const why = (err as { code?: string }).code === 'SIGNATURE_INVALID' ? 'forged' : 'corrupt'
            report.ignored[why] = (report.ignored[why] ?? 0) + 1
          }
        }
      } catch {
        // the walk failed (no node answered): what was found stands
      }
    })
  )
  for (const r of found) if (!report.record || compareRecords(r, report.record) > 0) report.record = r
  report.holders = found.filter((r) => compareRecords(r, report.record!) === 0).length
  return report
}

/** What a read of a content-addressed value found. */
export interface ImmutableReport {
  value: Buffer | null
  replies: number
  ignored: Record<string, number>
}

/** Fetch a content-addressed value: the first reply that hashes to `address`. */
export async function fetchImmutable(dht: DHT, address: Uint8Array): Promise<ImmutableReport> {
  const target = Buffer.from(address)
  const report: ImmutableReport = { value: null, replies: 0, ignored: {} }
  const query = dht.query({ target, command: COMMANDS.IMMUTABLE_GET, value: null }, { retries: WALK_RETRIES })
  try {
    for await (const reply of query) {
      if (!reply.value) continue
      report.replies++
      if (contentAddress(reply.value).equals(target)) {
        report.value = Buffer.from(reply.value)
        break
      }
      report.ignored.corrupt = (report.ignored.corrupt ?? 0) + 1
    }
  } catch {
    // as above
  } finally {
    query.destroy()
  }
  return report
}
