import test from 'node:test'
import assert from 'node:assert/strict'
import DHT from 'hyperdht'
import c from 'compact-encoding'
import { mutableGetResponse } from 'hyperdht/lib/messages.js'
import Persistent from 'hyperdht/lib/persistent.js'
import { encodeDescriptor } from '../../host/dns/descriptor.ts'
import { lookupVerified } from '../../host/dns/lookup.ts'
import type { LookupPeer } from '../../host/dns/lookup.ts'
import { serviceHash } from '../../host/manifest/hashes.ts'
import type { DescriptorAppWire } from '../../host/messages.ts'

/**
 * Which descriptor a lookup trusts: the first signed record found, unless it does not list
 * the hash, then a newer one. A stand-in DHT serves an old record (seq 1, without the
 * service) to a first-found query and a new one (seq 2, with it) to a query from seq 2 on.
 */

const hostKeys = DHT.keyPair(Buffer.alloc(32, 3))
const host = hostKeys.publicKey
const code = Buffer.alloc(32, 7)
const sh = serviceHash(code, 'echo')
const echo: DescriptorAppWire = {
  codeHash: code,
  name: 'echo',
  version: '1.0.0',
  publisher: Buffer.alloc(32, 9),
  services: [{ name: 'echo', port: 7, key: Buffer.alloc(32, 1) }]
}
const NOW = Math.floor(Date.now() / 1000)

/** Answers MUTABLE_GET queries as DHT nodes do: every signed record from the asked seq on, oldest first. */
function standIn(records: Record<number, DescriptorAppWire[]>, asked: number[], opts: { updated?: (seq: number) => number } = {}): DHT {
  const updated = opts.updated ?? ((seq: number) => NOW - 10 + seq)
  const rec = (seq: number) => {
    const value = encodeDescriptor({ host, updated: updated(seq), apps: records[seq] })
    return c.encode(mutableGetResponse, { seq, value, signature: Persistent.signMutable(seq, value, hostKeys) })
  }
  const seqs = Object.keys(records)
    .map(Number)
    .sort((a, b) => a - b)
  const stream = <T>(items: T[]) =>
    Object.assign(
      (async function* () {
        yield* items
      })(),
      { destroy() {} }
    )
  return {
    lookup() {
      return stream([{ from: { host: '127.0.0.1', port: 1 }, to: { host: '127.0.0.1', port: 2 }, peers: [{ publicKey: host, relayAddresses: [] }] }])
    },
    query(q: { value: Buffer }) {
      const from = c.decode(c.uint, q.value)
      asked.push(from)
      return stream(seqs.filter((s) => s >= from).map((s) => ({ value: rec(s), from: { host: '127.0.0.1', port: 1 } })))
    }
  } as unknown as DHT
}

async function collect(it: AsyncGenerator<LookupPeer>): Promise<LookupPeer[]> {
  const out: LookupPeer[] = []
  for await (const p of it) out.push(p)
  return out
}

test('the first signed descriptor found that lists the hash verifies it, with no search for a newer one', async () => {
  const asked: number[] = []
  const found = await collect(lookupVerified(standIn({ 1: [echo], 2: [echo] }, asked), sh, { timeoutMs: 2000 }))
  assert.equal(found.length, 1)
  assert.equal(found[0].verified, true)
  assert.match(found[0].how, /seq 1/)
  assert.deepEqual(asked, [0])
})

test('a first-found descriptor that does not list the hash sends the lookup on to a newer one', async () => {
  const asked: number[] = []
  const found = await collect(lookupVerified(standIn({ 1: [], 2: [echo] }, asked), sh, { timeoutMs: 2000 }))
  assert.equal(found.length, 1)
  assert.equal(found[0].verified, true)
  assert.match(found[0].how, /seq 2/)
  assert.deepEqual(asked, [0, 2])
})

test('when no newer descriptor lists the hash either, the host stays unverified', async () => {
  const asked: number[] = []
  assert.deepEqual(await collect(lookupVerified(standIn({ 1: [] }, asked), sh, { timeoutMs: 2000 })), [])
  const all = await collect(lookupVerified(standIn({ 1: [] }, []), sh, { timeoutMs: 2000, all: true }))
  assert.equal(all.length, 1)
  assert.equal(all[0].verified, false)
  assert.equal(all[0].how, "the host's signed descriptor does not list this hash")
})

test("each result says how old the host's descriptor is, and a stale one comes after the fresh ones", async () => {
  const fresh = await collect(lookupVerified(standIn({ 1: [echo] }, []), sh, { timeoutMs: 2000 }))
  assert.equal(fresh[0].stale, false)
  assert.ok(fresh[0].ageSeconds! >= 8 && fresh[0].ageSeconds! <= 60, `age ${fresh[0].ageSeconds}`)
  assert.equal(fresh[0].updated, new Date((NOW - 9) * 1000).toISOString())
  const asked: number[] = []
  const old = await collect(lookupVerified(standIn({ 1: [echo] }, asked, { updated: () => NOW - 3600 }), sh, { timeoutMs: 2000 }))
  assert.equal(old.length, 1)
  assert.equal(old[0].stale, true)
  assert.ok(old[0].ageSeconds! >= 3600)
  assert.deepEqual(asked, [0, 2], 'a stale record sends the lookup on to look for a newer one')
})
