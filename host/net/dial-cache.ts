import { DIAL_CACHE } from '../constants.ts'
import { HypernetError, isHypernetError } from '../errors.ts'
import type { LookupPeer } from '../dns/index.ts'

/**
 * What the host remembers between plugin dials, so a plugin dialing in a loop costs the DHT
 * little: one lookup per service hash in flight, shared by every dial that wants it (whoever
 * started it may give up without cancelling it for the others), its verified peers reused for
 * DIAL_CACHE.peersTtlMs; and per target (a hash or a key), failures in a row that make the
 * next dials fail at once, with the last error, until a backoff that doubles per failure ends.
 */

export type PeersLookup = (hash: Buffer) => Promise<LookupPeer[]>

export interface DialCacheInit {
  peersTtlMs?: number
  initialBackoffMs?: number
  maxBackoffMs?: number
  maxEntries?: number
  now?: () => number
}

interface Failure {
  count: number
  until: number
  err: HypernetError
}

export class DialCache {
  private readonly inflight = new Map<string, Promise<LookupPeer[]>>()
  private readonly cached = new Map<string, { peers: LookupPeer[]; until: number }>()
  private readonly failures = new Map<string, Failure>()
  private readonly opts: Required<DialCacheInit>
  /** Lookups started (for status and tests). */
  lookups = 0

  constructor(
    private readonly lookup: PeersLookup,
    init: DialCacheInit = {}
  ) {
    this.opts = { ...DIAL_CACHE, now: Date.now, ...init }
  }

  /**
   * The verified peers of `hash`: cached, or joined to the lookup in flight, or a new one.
   * @throws ABORTED-like TIMEOUT when `signal` aborts first (the lookup goes on for others)
   */
  async peers(hash: Buffer, signal?: AbortSignal): Promise<LookupPeer[]> {
    const key = hash.toString('hex')
    const hit = this.cached.get(key)
    if (hit && hit.until > this.opts.now()) return hit.peers
    let p = this.inflight.get(key)
    if (p === undefined) {
      this.lookups++
      p = this.lookup(hash).then((peers) => {
        // none found is a failure, which the target's backoff handles: a vendor that appears is found at the next try
        if (peers.length > 0) this.remember(this.cached, key, { peers, until: this.opts.now() + this.opts.peersTtlMs })
        return peers
      })
      const shared = p
      const settled = () => {
        if (this.inflight.get(key) === shared) this.inflight.delete(key)
      }
      shared.then(settled, settled)
      this.inflight.set(key, shared)
    }
    return abortable(p, signal)
  }

  /** Forget `hash`'s peers (one of them failed to connect: the next dial looks again). */
  forgetPeers(hash: Buffer): void {
    this.cached.delete(hash.toString('hex'))
  }

  /** @throws the target's last error while it is backing off */
  check(target: string): void {
    const f = this.failures.get(target)
    if (f === undefined || f.until <= this.opts.now()) return
    const left = f.until - this.opts.now()
    throw new HypernetError(f.err.code, `${f.err.message.slice(f.err.code.length + 2)} (${f.count} failures in a row: not tried again for ${left} ms)`, {
      details: { backoffMs: left, failures: f.count }
    })
  }

  failed(target: string, err: unknown): void {
    if (isAborted(err)) return // the plugin gave up: says nothing about the target
    const prev = this.failures.get(target)
    const count = (prev?.count ?? 0) + 1
    const wait = Math.min(this.opts.maxBackoffMs, this.opts.initialBackoffMs * 2 ** (count - 1))
    const e = isHypernetError(err) ? err : HypernetError.CONNECTION_FAILED((err as Error)?.message ?? String(err), err)
    this.remember(this.failures, target, { count, until: this.opts.now() + wait, err: e })
  }

  succeeded(target: string): void {
    this.failures.delete(target)
  }

  /** Drop everything (the host is closing). */
  clear(): void {
    this.inflight.clear()
    this.cached.clear()
    this.failures.clear()
  }

  private remember<V>(map: Map<string, V>, key: string, value: V): void {
    map.delete(key) // re-inserted at the end: Map order is age order
    map.set(key, value)
    while (map.size > this.opts.maxEntries) map.delete(map.keys().next().value!)
  }
}

/** The error a dial rejects with when its plugin gave it up. */
export function abortedError(): HypernetError {
  return HypernetError.CONNECTION_FAILED('the dial was given up (the plugin closed it or stopped)', undefined, { aborted: true })
}

export function isAborted(err: unknown): boolean {
  return isHypernetError(err) && err.details?.aborted === true
}

/**
 * `p`, or a rejection as soon as `signal` aborts; p itself goes on, and what it resolves with
 * after that is handed to `late` (to destroy a stream nobody wants any more).
 */
export function abortable<T>(p: Promise<T>, signal?: AbortSignal, late?: (value: T) => void): Promise<T> {
  if (!signal) return p
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(abortedError())
    if (signal.aborted) onAbort()
    else signal.addEventListener('abort', onAbort, { once: true })
    p.then(
      (v) => {
        signal.removeEventListener('abort', onAbort)
        if (signal.aborted) late?.(v)
        else resolve(v)
      },
      (e) => {
        signal.removeEventListener('abort', onAbort)
        reject(e)
      }
    )
  })
}
