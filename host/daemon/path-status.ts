import { formatId } from '../encoding/ids.ts'
import type { PathInfo } from '../net/index.ts'
import type { KnownRelay } from '../net/index.ts'
import type { RelayStatus } from '../net/index.ts'
import type { HostParts } from './host-parts.ts'

/** The parts of `status` about paths: how each connection travels, and the host's relays. */

/** Listed connections per service at most; counts are always complete. */
const MAX_LISTED = 64

export interface ServicePaths {
  direct: number
  relayed: number
  /** Each open connection (at most MAX_LISTED): its peer, its path, and the bytes on the wire (encrypted) each way so far. */
  open: Array<PathInfo & { peer: string; bytesIn: number; bytesOut: number }>
}

export interface RelaysStatus {
  /** This host's own relay (`start --relay`), or null. */
  offering: RelayStatus | null
  /** Relays this host may pair through, found in the DHT or pinned. */
  known: KnownRelay[]
  lastLookup: string | null
}

/** How the open connections of one service travel (none before the listener and tracker are built). */
export function servicePaths(h: Partial<Pick<HostParts, 'listener' | 'pathTracker'>>, serviceHash: string): ServicePaths {
  const out: ServicePaths = { direct: 0, relayed: 0, open: [] }
  if (!h.listener || !h.pathTracker) return out
  for (const s of h.listener.streams(serviceHash)) {
    const p = h.pathTracker.pathOf(s)
    out[p.path]++
    if (out.open.length < MAX_LISTED) out.open.push({ peer: formatId(s.remotePublicKey), ...p, bytesIn: s.rawBytesRead ?? 0, bytesOut: s.rawBytesWritten ?? 0 })
  }
  return out
}

/** The relay this host offers and the relays it knows. */
export function relaysStatus(h: Partial<Pick<HostParts, 'relay' | 'relays'>>): RelaysStatus {
  return { offering: h.relay?.status() ?? null, known: h.relays?.list() ?? [], lastLookup: h.relays?.lastLookup ?? null }
}
