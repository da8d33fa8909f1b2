import type { SecretStream } from 'hyperdht'

/**
 * Who holds which service connections, for the service listener's limits: counts per peer key,
 * per remote address (a key is free to make, an address is not) and per service, and when each
 * connection last moved a byte of data either way (keep-alives do not count). From it come the
 * two decisions a full service needs: which connection to evict (the idlest of the address
 * holding the most), and which have been idle too long.
 */

export interface Held {
  stream: SecretStream
  service: string
  peer: string
  address: string
  lastActive: number
}

export class ConnectionLedger {
  readonly perPeer = new Map<string, number>()
  readonly perAddress = new Map<string, number>()
  private readonly held = new Map<SecretStream, Held>()

  /** Count a slot (a reservation or a connection). */
  take(peer: string, address: string): void {
    bump(this.perPeer, peer, 1)
    bump(this.perAddress, address, 1)
  }

  /** Give a slot back. */
  give(peer: string, address: string): void {
    bump(this.perPeer, peer, -1)
    bump(this.perAddress, address, -1)
  }

  /**
   * Track a connection's data activity: what the stream pushes to its reader (decrypted data;
   * keep-alives are empty and not counted) and what its owner writes. Both are wrapped once on
   * the instance, so the owner needs to know nothing about it, and no 'data' listener is added:
   * one would put the stream in flowing mode and drop what arrives before the owner listens.
   */
  hold(h: Omit<Held, 'lastActive'>): Held {
    const entry: Held = { ...h, lastActive: Date.now() }
    this.held.set(h.stream, entry)
    const s = h.stream as unknown as { push(chunk: unknown): boolean; write(...args: unknown[]): boolean }
    const push = s.push.bind(s)
    const write = s.write.bind(s)
    s.push = (chunk: unknown) => {
      if (chunk !== null && (chunk as Uint8Array).byteLength > 0) entry.lastActive = Date.now()
      return push(chunk)
    }
    s.write = (...args: unknown[]) => {
      entry.lastActive = Date.now()
      return write(...args)
    }
    return entry
  }

  drop(stream: SecretStream): void {
    this.held.delete(stream)
  }

  /**
   * The connection to evict so that a newcomer from `address` can have a slot on `service`:
   * the idlest connection of the address holding the most connections on it, when that
   * address holds more than the newcomer's does; null when the newcomer's address is (one of)
   * the heaviest, so nobody is evicted in its favour.
   */
  victim(service: string, address: string): Held | null {
    const counts = new Map<string, number>()
    for (const h of this.held.values()) if (h.service === service) bump(counts, h.address, 1)
    let heaviest: string | null = null
    for (const [a, n] of counts) if (heaviest === null || n > counts.get(heaviest)!) heaviest = a
    if (heaviest === null || counts.get(heaviest)! <= (counts.get(address) ?? 0)) return null
    let idlest: Held | null = null
    for (const h of this.held.values()) if (h.service === service && h.address === heaviest && (idlest === null || h.lastActive < idlest.lastActive)) idlest = h
    return idlest
  }

  /** Connections that moved no data for `idleMs` (each service's own, when it has one). */
  idle(now: number, idleMsOf: (service: string) => number): Held[] {
    return [...this.held.values()].filter((h) => {
      const ms = idleMsOf(h.service)
      return ms > 0 && now - h.lastActive >= ms
    })
  }
}

function bump(m: Map<string, number>, k: string, by: number): void {
  const n = (m.get(k) ?? 0) + by
  if (n <= 0) m.delete(k)
  else m.set(k, n)
}
