import type DHT from 'hyperdht'
import type { ConnectOptions, SecretStream } from 'hyperdht'
import { formatId } from '../encoding/ids.ts'

/**
 * Which path an open connection takes: straight to the peer (hole punched, or the peer is
 * reachable) or through a blind relay. hyperdht does not say, so it is read from the wire:
 * a relayed connection's UDX stream is connected on the same socket and to the same address
 * as a connection to the relay itself, and hyperdht opens every relay connection as
 * `dht.connect(relayKey)` with no options (lib/connect.js relayConnection, lib/server.js
 * _relayConnection), which this host's own code never does. The tracker watches those
 * connections on one DHT node; a path is read live, so a relayed connection that hyperdht
 * later upgrades to a punched one reads `direct` from then on.
 */

export type ConnectionPath = 'direct' | 'relayed'

export interface PathInfo {
  path: ConnectionPath
  /** The address the connection's packets go to: the peer's NAT, or the relay. */
  remote: string | null
  /** The relay's key (hex) when relayed. */
  relay: string | null
}

export class PathTracker {
  private readonly relaySockets = new Set<SecretStream>()
  private readonly original: DHT['connect']

  constructor(private readonly dht: DHT) {
    this.original = dht.connect
    const original = this.original
    const tracked = this.relaySockets
    dht.connect = function (this: DHT, publicKey: Buffer | string, opts?: ConnectOptions): SecretStream {
      const s = original.call(this, publicKey, opts)
      if (opts === undefined) {
        tracked.add(s)
        s.once('close', () => tracked.delete(s))
      }
      return s
    }
  }

  /** The path `stream` takes right now. */
  pathOf(stream: SecretStream): PathInfo {
    const raw = stream.rawStream
    if (!raw || raw.remoteHost === undefined) return { path: 'direct', remote: null, relay: null }
    const remote = `${raw.remoteHost}:${raw.remotePort}`
    for (const r of this.relaySockets) {
      const rr = r.rawStream
      if (r === stream || !rr || rr.socket !== raw.socket) continue
      if (rr.remoteHost === raw.remoteHost && rr.remotePort === raw.remotePort)
        return { path: 'relayed', remote, relay: r.remotePublicKey ? formatId(r.remotePublicKey) : null }
    }
    return { path: 'direct', remote, relay: null }
  }

  /** Connections to relays open now (each relayed connection holds one). */
  relayConnections(): number {
    return this.relaySockets.size
  }

  close(): void {
    this.dht.connect = this.original
    this.relaySockets.clear()
  }
}
