import type { Duplex } from 'node:stream'
import { formatId } from '../encoding/ids.ts'
import type { ConnectionPath, PathInfo } from '../net/index.ts'
import type { SpliceCounters } from './splice-streams.ts'

/**
 * What a bridge remembers about its connections, for `status`: the open ones (peer, bytes each
 * way, since when, and the path each takes), and totals over the bridge's life.
 */

/**
 * The Hypernet side of a bridge connection: a HyperDHT stream, or an onion stream (a plain
 * Duplex) for an anonymous listen bridge. `remotePublicKey` is the service key it reaches.
 */
export type BridgeStream = Duplex & { remotePublicKey: Uint8Array }

/** How a bridge connection travels: `onion` through a circuit, with its relays in `circuit`. */
export interface BridgePathInfo extends Omit<PathInfo, 'path'> {
  path: ConnectionPath | 'onion' | 'hidden'
  /** Relay keys (hex), first to last, of an onion connection's circuit. */
  circuit?: string[]
}

export interface BridgeConnectionStatus extends SpliceCounters, BridgePathInfo {
  /** The Hypernet peer's key (hex): the client of an exposed service, the service of a listen bridge. */
  peer: string
  since: string
}

export interface LedgerTotals {
  /** Connections accepted over the bridge's life. */
  connections: number
  bytesIn: number
  bytesOut: number
  /** Connections that failed before any byte moved (unreachable service or TCP server). */
  failed: number
  lastError: string | null
}

interface Entry {
  stream: BridgeStream
  counters: SpliceCounters
  since: string
}

export class BridgeLedger {
  private readonly open = new Set<Entry>()
  private readonly done = { connections: 0, bytesIn: 0, bytesOut: 0, failed: 0 }
  private lastError: string | null = null

  /** Count a new connection; returns the counters to splice it with and a function to call when it closed. */
  add(stream: BridgeStream): { counters: SpliceCounters; closed: () => void } {
    const e: Entry = { stream, counters: { bytesIn: 0, bytesOut: 0 }, since: new Date().toISOString() }
    this.open.add(e)
    this.done.connections++
    let once = false
    return {
      counters: e.counters,
      closed: () => {
        if (once) return
        once = true
        this.open.delete(e)
        this.done.bytesIn += e.counters.bytesIn
        this.done.bytesOut += e.counters.bytesOut
      }
    }
  }

  /** Count a connection that failed before it was joined. */
  failed(why: string): void {
    this.done.failed++
    this.lastError = why
  }

  /** Open connections, each with its path read now. */
  connections(pathOf: (s: BridgeStream) => BridgePathInfo): BridgeConnectionStatus[] {
    return [...this.open].map((e) => ({ peer: formatId(e.stream.remotePublicKey), since: e.since, ...e.counters, ...pathOf(e.stream) }))
  }

  totals(): LedgerTotals {
    let bytesIn = this.done.bytesIn
    let bytesOut = this.done.bytesOut
    for (const e of this.open) {
      bytesIn += e.counters.bytesIn
      bytesOut += e.counters.bytesOut
    }
    return { connections: this.done.connections, bytesIn, bytesOut, failed: this.done.failed, lastError: this.lastError }
  }

  /** Destroy every open connection (the bridge is going away). */
  destroyAll(): void {
    for (const e of this.open) e.stream.destroy()
  }
}
