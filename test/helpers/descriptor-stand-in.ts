import { Readable } from 'node:stream'
import DHT from 'hyperdht'
import c from 'compact-encoding'
import { mutableGetResponse } from 'hyperdht/lib/messages.js'
import Persistent from 'hyperdht/lib/persistent.js'
import { encodeDescriptor } from '../../host/dns/descriptor.ts'
import { serviceHash } from '../../host/manifest/hashes.ts'
import type { DescriptorAppWire } from '../../host/messages.ts'

/**
 * A stand-in DHT for lookups that only need one announcing host and its descriptor records:
 * `lookup()` names the host, `query()` answers MUTABLE_GET as DHT nodes do (every signed record
 * from the asked seq on, oldest first) and notes the seq asked for. `records` may change between
 * lookups (the host publishing a new descriptor).
 */

export const hostKeys = DHT.keyPair(Buffer.alloc(32, 3))
export const host = hostKeys.publicKey
export const code = Buffer.alloc(32, 7)
export const sh = serviceHash(code, 'echo')
export const echo: DescriptorAppWire = {
  codeHash: code,
  name: 'echo',
  version: '1.0.0',
  publisher: Buffer.alloc(32, 9),
  services: [{ name: 'echo', port: 7, key: Buffer.alloc(32, 1) }]
}
export const NOW = Math.floor(Date.now() / 1000)

export interface StandInOptions {
  /** The descriptor's `updated` (Unix seconds) per seq; default: a few seconds ago. */
  updated?: (seq: number) => number
  /** Sign with another key (a forged record). */
  signer?: typeof hostKeys
}

export function standIn(records: Record<number, DescriptorAppWire[]>, asked: number[], opts: StandInOptions = {}): DHT {
  const updated = opts.updated ?? ((seq: number) => NOW - 10 + seq)
  const rec = (seq: number) => {
    const value = encodeDescriptor({ host, updated: updated(seq), apps: records[seq] })
    return c.encode(mutableGetResponse, { seq, value, signature: Persistent.signMutable(seq, value, opts.signer ?? hostKeys) })
  }
  // a readable as a DHT query is one: iterable, with data and close events, destroyable
  const stream = <T>(items: T[]) => Readable.from(items, { objectMode: true })
  return {
    lookup() {
      return stream([{ from: { host: '127.0.0.1', port: 1 }, to: { host: '127.0.0.1', port: 2 }, peers: [{ publicKey: host, relayAddresses: [] }] }])
    },
    query(q: { value: Buffer }) {
      const from = c.decode(c.uint, q.value)
      asked.push(from)
      const seqs = Object.keys(records)
        .map(Number)
        .sort((a, b) => a - b)
      return stream(seqs.filter((s) => s >= from).map((s) => ({ value: rec(s), from: { host: '127.0.0.1', port: 1 } })))
    }
  } as unknown as DHT
}
