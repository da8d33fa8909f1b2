import c from 'compact-encoding'
import sodium from 'sodium-native'
import type DHT from 'hyperdht'
import { COMMANDS } from 'hyperdht/lib/constants.js'
import { mutableGetResponse } from 'hyperdht/lib/messages.js'
import Persistent from 'hyperdht/lib/persistent.js'

/**
 * HyperDHT's `mutableGet`, but cancellable. hyperdht 6.34's own walk cannot be stopped by its
 * caller: a lookup that ended (a limit, a timeout, a dial that took the first peer) left every
 * descriptor walk it had started running to completion, and dht-rpc queues what its congestion
 * window (80 requests a 750 ms slot) cannot send in `io._pending`/`io.inflight`, each request
 * holding its encoded buffer and closures. Lookups that end sooner than their walks grew the
 * heap without bound (measured: ~95 KB heap + ~73 KB external per lookup that broke after the
 * first of 9 hosts). Here the walk is a plain dht-rpc query that `signal` destroys, which
 * destroys its session and so every request it has in flight.
 *
 * Same wire and checks as hyperdht's: MUTABLE_GET with the lowest sequence number wanted,
 * replies decoded, signatures verified; by default the highest seq seen, `latest: false` the
 * first valid one; `concurrency` caps the requests in flight (dht-rpc's default is 10). Never throws for what a remote sent; rejects only if the node is destroyed.
 */
export interface MutableRecord {
  seq: number
  value: Buffer
  signature: Buffer
}

export async function getMutable(
  dht: DHT,
  publicKey: Buffer,
  opts: { seq?: number; latest?: boolean; signal?: AbortSignal; concurrency?: number } = {}
): Promise<MutableRecord | null> {
  if (opts.signal?.aborted) return null
  const target = Buffer.alloc(32)
  sodium.crypto_generichash(target, publicKey)
  const minSeq = opts.seq ?? 0
  const query = dht.query(
    { target, command: COMMANDS.MUTABLE_GET, value: c.encode(c.uint, minSeq) },
    opts.concurrency ? { concurrency: opts.concurrency } : undefined
  )
  const onAbort = () => query.destroy()
  opts.signal?.addEventListener('abort', onAbort)
  let best: MutableRecord | null = null
  try {
    for await (const reply of query) {
      if (!reply.value) continue
      let m: { seq: number; value: Uint8Array; signature: Uint8Array }
      try {
        m = c.decode(mutableGetResponse, reply.value)
      } catch {
        continue
      }
      if (!m.value || m.seq < minSeq || (best && m.seq <= best.seq)) continue
      if (!Persistent.verifyMutable(m.signature, m.seq, m.value, publicKey)) continue
      best = { seq: m.seq, value: Buffer.from(m.value), signature: Buffer.from(m.signature) }
      if (opts.latest === false) break
    }
  } catch {
    // destroyed (aborted) or failed: what was found still stands
  } finally {
    opts.signal?.removeEventListener('abort', onAbort)
    query.destroy()
  }
  return best
}
