import type DHT from 'hyperdht'
import { formatId } from '../encoding/ids.ts'
import { entriesFor, fetchDescriptor } from './descriptor.ts'
import type { DescriptorResult, VouchedService } from './descriptor.ts'

/**
 * "Which peers vend this hash": a HyperDHT lookup of the hash as a topic, then, for each host
 * that announced it (deduplicated by key: one announcer is returned by many DHT nodes), that
 * host's signed descriptor. Only hosts whose descriptor vouches for the hash are verified;
 * anyone can announce any topic, so an announcement alone proves nothing.
 */

export interface LookupPeer extends VouchedService {
  hostKey: string
  verified: boolean
  /** How it was verified, or why it was not. */
  how: string
}

export interface LookupOptions {
  /** Also yield hosts that announced the hash without vouching for it (verified: false). */
  all?: boolean
  /** Stop after this many results. */
  limit?: number
  /** Stop after this long, in ms (default 10 s). */
  timeoutMs?: number
  signal?: AbortSignal
}

/** Stream verified peers for `hash` (a service hash or a code hash) as they are found. */
export async function* lookupVerified(dht: DHT, hash: Buffer, opts: LookupOptions = {}): AsyncGenerator<LookupPeer> {
  const limit = opts.limit ?? Infinity
  const queue: LookupPeer[] = []
  let wake: (() => void) | null = null
  let done = false
  let pending = 0
  let yielded = 0
  let queryDone = false
  const seen = new Set<string>()
  const notify = () => {
    const w = wake
    wake = null
    w?.()
  }

  const query = dht.lookup(hash)
  const timer = setTimeout(() => stop(), opts.timeoutMs ?? 10_000)
  const onAbort = () => stop()
  opts.signal?.addEventListener('abort', onAbort)
  function stop() {
    if (done) return
    done = true
    query.destroy()
    notify()
  }

  const verify = async (hostKey: Buffer) => {
    pending++
    try {
      const d = await descriptorFor(dht, hostKey, hash)
      const host = formatId(hostKey)
      if (d.ok) {
        const entries = entriesFor(d.descriptor, hash)
        for (const e of entries) queue.push({ ...e, hostKey: host, verified: true, how: `listed in the host's signed descriptor (seq ${d.seq})` })
        if (entries.length === 0 && opts.all) queue.push(unverified(host, "the host's signed descriptor does not list this hash"))
      } else if (opts.all) {
        queue.push(unverified(host, d.why))
      }
    } finally {
      pending--
      notify()
    }
  }

  // drain the DHT query in the background; verification runs per host as it is found
  const drained = (async () => {
    try {
      for await (const reply of query) {
        for (const peer of reply.peers) {
          const k = formatId(peer.publicKey)
          if (seen.has(k)) continue
          seen.add(k)
          verify(peer.publicKey).catch(() => {})
        }
      }
    } catch {
      // a destroyed or failed query ends the search; what was found still stands
    } finally {
      queryDone = true
      notify()
    }
  })()

  try {
    while (true) {
      while (queue.length > 0 && yielded < limit) {
        yielded++
        yield queue.shift()!
      }
      if (yielded >= limit || done || (queryDone && pending === 0 && queue.length === 0)) break
      await new Promise<void>((resolve) => (wake = resolve))
    }
  } finally {
    clearTimeout(timer)
    opts.signal?.removeEventListener('abort', onAbort)
    stop()
    await drained
  }
}

/**
 * The signed descriptor of `hostKey` to check `hash` against: the first validly signed record
 * found, or a newer one when that one does not list the hash. Every record the host signed is
 * its word, so the first one that lists the hash will do: waiting for the newest costs a whole
 * second DHT query per lookup (bench row 4). Never throws for what a remote sent.
 */
export async function descriptorFor(dht: DHT, hostKey: Buffer, hash: Buffer): Promise<DescriptorResult> {
  let d = await fetchDescriptor(dht, hostKey, { latest: false })
  if (d.ok && entriesFor(d.descriptor, hash).length === 0) {
    const newer = await fetchDescriptor(dht, hostKey, { seq: d.seq + 1 })
    if (newer.ok) d = newer
  }
  return d
}

/** True when the signed descriptor of `hostKey` vouches for `hash`: the check lookups make, for meshes. */
export async function vouchesFor(dht: DHT, hostKey: Buffer, hash: Buffer): Promise<boolean> {
  const d = await descriptorFor(dht, hostKey, hash)
  return d.ok && entriesFor(d.descriptor, hash).length > 0
}

function unverified(hostKey: string, why: string): LookupPeer {
  return { hostKey, verified: false, how: why, codeHash: '', serviceHash: null, app: '', version: '', publisher: '', service: null, port: null, serviceKey: null }
}
