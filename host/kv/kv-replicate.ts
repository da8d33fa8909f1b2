import { COMMANDS } from 'hyperdht/lib/constants.js'
import type DHT from 'hyperdht'
import type { RpcReply } from 'hyperdht'
import { KV } from '../constants.ts'
import { contentAddress, recordTarget } from './kv-address.ts'
import { PATHS, WALK_RETRIES, nodeLabel, refusalName } from './kv-paths.ts'
import type { StorePath } from './kv-paths.ts'
import { compareRecords } from './kv-record.ts'
import type { KvRecord } from './kv-record.ts'

/**
 * Put and repair are one operation: walk the DHT to the record's target, read what the closest
 * answering nodes hold, and write the record to those of the `replicas` closest that lack it
 * (to all of them with `force`, which resets their TTL). A node holding a version that outranks
 * ours is left alone (with `force` it is sent ours anyway, and refuses it) and the newer
 * version is reported. Each reply is verified before it counts; corrupt or forged ones are
 * ignored.
 */

export interface PathReport {
  path: StorePath | 'immutable'
  /** Nodes that answered the walk. */
  replies: number
  /** The replica set: the closest answering nodes, up to the replication factor. */
  closest: string[]
  /** Copies written now. */
  stored: number
  /** Replicas that already held this version. */
  held: number
  /** Writes a node refused, by reason (wire error name). */
  refused: Record<string, number>
  /** Writes no answer came back for. */
  unanswered: number
}

/** What a put or repair did, over every path. */
export interface ReplicateReport {
  paths: PathReport[]
  /** Copies in place afterwards (stored + held) on the path that has most. */
  copies: number
  /** A verified version in the DHT that outranks the one replicated. */
  newer: KvRecord | null
  /** Replies ignored as corrupt or forged. */
  ignored: number
}

/** Replication factor (default KV.replicas), force, and paths (default both). */
export interface ReplicateOptions {
  replicas?: number
  /** Write to every replica, also those that hold this version (resetting their TTL) or a newer one. */
  force?: boolean
  paths?: StorePath[]
}

type Holds = { rank: number; record: KvRecord | null } | null

/** Replicate a signed record on the given paths (default both). Never throws for what nodes do. */
export async function replicateRecord(dht: DHT, record: KvRecord, opts: ReplicateOptions = {}): Promise<ReplicateReport> {
  const target = recordTarget(record.address)
  const runs = (opts.paths ?? ['plugin', 'mirror']).map((name) => {
    const path = PATHS[name]
    const inspect = (reply: RpcReply): Holds => {
      const held = path.parse(record.address, reply)
      return held ? { rank: Math.sign(compareRecords(held, record)), record: held } : { rank: -1, record: null }
    }
    return walk(dht, name, { target, ...path.read() }, path.retries, opts, inspect, (reply) => path.write(dht, reply, record))
  })
  return merge(await Promise.all(runs))
}

/** Replicate a content-addressed value in HyperDHT's immutable records. */
export async function replicateImmutable(dht: DHT, value: Uint8Array, opts: ReplicateOptions = {}): Promise<ReplicateReport> {
  const target = contentAddress(value)
  const inspect = (reply: RpcReply): Holds => {
    if (!reply.value) return { rank: -1, record: null }
    if (!contentAddress(reply.value).equals(target)) throw new Error('value does not hash to its address')
    return { rank: 0, record: null }
  }
  const write = (reply: RpcReply) => dht.request({ token: reply.token, target, command: COMMANDS.IMMUTABLE_PUT, value: Buffer.from(value) }, reply.from)
  return merge([await walk(dht, 'immutable', { target, command: COMMANDS.IMMUTABLE_GET, value: null }, WALK_RETRIES, opts, inspect, write)])
}

interface WalkResult {
  report: PathReport
  newer: KvRecord | null
  ignored: number
}

async function walk(
  dht: DHT,
  path: PathReport['path'],
  q: { target: Buffer; command: number; value: Buffer | null },
  retries: number,
  opts: ReplicateOptions,
  inspect: (reply: RpcReply) => Holds,
  write: (reply: RpcReply) => Promise<RpcReply>
): Promise<WalkResult> {
  const replicas = opts.replicas ?? KV.replicas
  const report: PathReport = { path, replies: 0, closest: [], stored: 0, held: 0, refused: {}, unanswered: 0 }
  const out: WalkResult = { report, newer: null, ignored: 0 }
  const cache = new WeakMap<RpcReply, Holds>()
  const holds = (reply: RpcReply): Holds => {
    if (cache.has(reply)) return cache.get(reply)!
    let h: Holds
    try {
      h = inspect(reply)
    } catch {
      h = null // corrupt or forged: counts as holding nothing
    }
    cache.set(reply, h)
    return h
  }
  let index = 0
  const commit = async (reply: RpcReply) => {
    if (index++ >= replicas) return
    report.closest.push(nodeLabel(reply.from))
    const h = holds(reply)
    if (h && h.rank > 0 && !opts.force) return
    if (h && h.rank === 0 && !opts.force) {
      report.held++
      return
    }
    try {
      const res = await write(reply)
      if (res.error === 0) report.stored++
      else report.refused[refusalName(res.error)] = (report.refused[refusalName(res.error)] ?? 0) + 1
    } catch {
      report.unanswered++
    }
  }
  const query = dht.query(q, { commit, retries })
  try {
    for await (const reply of query) {
      report.replies++
      const h = holds(reply)
      if (h === null) out.ignored++
      else if (h.rank > 0 && h.record && (!out.newer || compareRecords(h.record, out.newer) > 0)) out.newer = h.record
    }
  } catch {
    // no node answered (or the node closed): the report says so with zero replies
  }
  return out
}

function merge(results: WalkResult[]): ReplicateReport {
  let newer: KvRecord | null = null
  for (const r of results) if (r.newer && (!newer || compareRecords(r.newer, newer) > 0)) newer = r.newer
  return {
    paths: results.map((r) => r.report),
    copies: Math.max(0, ...results.map((r) => r.report.stored + r.report.held)),
    newer,
    ignored: results.reduce((n, r) => n + r.ignored, 0)
  }
}
