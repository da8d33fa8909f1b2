import test from 'node:test'
import assert from 'node:assert/strict'
import DHT from 'hyperdht'
import { DNS } from '../../host/constants.ts'
import { DescriptorCache, descriptorCacheOf } from '../../host/dns/descriptor-cache.ts'
import { publishDescriptor } from '../../host/dns/descriptor.ts'
import { lookupVerified } from '../../host/dns/lookup.ts'
import type { LookupPeer } from '../../host/dns/lookup.ts'
import { vouchesFor } from '../../host/dns/vouches-for.ts'
import { serviceHash } from '../../host/manifest/hashes.ts'
import type { HostDescriptorWire } from '../../host/messages.ts'
import { NOW, code, echo, host, sh, standIn } from '../helpers/descriptor-stand-in.ts'
import { startTestnet } from '../helpers/testnet.ts'
import { teardown } from '../helpers/teardown.ts'

/**
 * Descriptors a node verified lately answer later lookups without a DHT walk, and never say
 * more than a fetch would: only records whose signature checked out are kept, a kept record
 * that does not list the hash (or is stale) sends the lookup to the DHT for a newer one, and
 * a kept record expires after DNS.descriptorCacheMs.
 */

async function collect(it: AsyncGenerator<LookupPeer>): Promise<LookupPeer[]> {
  const out: LookupPeer[] = []
  for await (const p of it) out.push(p)
  return out
}

const other = { ...echo, services: [...echo.services, { name: 'other', port: 8, key: Buffer.alloc(32, 2) }] }
const otherHash = serviceHash(code, 'other')

test('a second lookup of a host verified a moment ago makes no descriptor walk and finds the same', async () => {
  const asked: number[] = []
  const dht = standIn({ 1: [echo] }, asked)
  const first = await collect(lookupVerified(dht, sh, { timeoutMs: 2000 }))
  const second = await collect(lookupVerified(dht, sh, { timeoutMs: 2000 }))
  assert.deepEqual(asked, [0])
  assert.equal(second.length, 1)
  assert.equal(second[0].verified, true)
  assert.equal(second[0].serviceKey, first[0].serviceKey)
  assert.match(second[0].how, /seq 1/)
})

test('cached: false fetches the descriptor again', async () => {
  const asked: number[] = []
  const dht = standIn({ 1: [echo] }, asked)
  await collect(lookupVerified(dht, sh, { timeoutMs: 2000 }))
  assert.equal((await collect(lookupVerified(dht, sh, { timeoutMs: 2000, cached: false }))).length, 1)
  assert.deepEqual(asked, [0, 0])
})

test('a kept descriptor that does not list the hash sends the lookup on to a newer one, which is then kept', async () => {
  const asked: number[] = []
  const records: Record<number, (typeof echo)[]> = { 1: [echo] }
  const dht = standIn(records, asked)
  await collect(lookupVerified(dht, sh, { timeoutMs: 2000 }))
  assert.deepEqual(await collect(lookupVerified(dht, otherHash, { timeoutMs: 2000 })), [], 'seq 1 does not list it and there is no newer one')
  records[2] = [other] // the host starts the service and publishes
  const found = await collect(lookupVerified(dht, otherHash, { timeoutMs: 2000 }))
  assert.equal(found.length, 1)
  assert.match(found[0].how, /seq 2/)
  assert.deepEqual(asked, [0, 2, 2])
  assert.equal((await collect(lookupVerified(dht, sh, { timeoutMs: 2000 })))[0].how.match(/seq (\d)/)![1], '2')
  assert.deepEqual(asked, [0, 2, 2], 'seq 2 is kept and lists both')
})

test('a kept descriptor expires: after DNS.descriptorCacheMs the lookup asks the DHT again', async () => {
  const asked: number[] = []
  const dht = standIn({ 1: [echo] }, asked)
  const t0 = Date.now()
  await collect(lookupVerified(dht, sh, { timeoutMs: 2000, now: () => t0 }))
  await collect(lookupVerified(dht, sh, { timeoutMs: 2000, now: () => t0 + DNS.descriptorCacheMs - 1 }))
  assert.deepEqual(asked, [0])
  assert.equal((await collect(lookupVerified(dht, sh, { timeoutMs: 2000, now: () => t0 + DNS.descriptorCacheMs + 1 }))).length, 1)
  assert.deepEqual(asked, [0, 0])
})

test('a kept stale descriptor is not enough: each lookup looks for a newer one', async () => {
  const asked: number[] = []
  const dht = standIn({ 1: [echo] }, asked, { updated: () => NOW - 3600 })
  assert.equal((await collect(lookupVerified(dht, sh, { timeoutMs: 2000 })))[0].stale, true)
  assert.equal((await collect(lookupVerified(dht, sh, { timeoutMs: 2000 })))[0].stale, true)
  assert.deepEqual(asked, [0, 2, 2])
})

test('a forged descriptor is neither trusted nor kept', async () => {
  const asked: number[] = []
  const dht = standIn({ 1: [echo] }, asked, { signer: DHT.keyPair() })
  assert.deepEqual(await collect(lookupVerified(dht, sh, { timeoutMs: 2000 })), [])
  const all = await collect(lookupVerified(dht, sh, { timeoutMs: 2000, all: true }))
  assert.equal(all.length, 1)
  assert.equal(all[0].verified, false)
  assert.equal(all[0].how, 'no signed descriptor found')
  assert.equal(descriptorCacheOf(dht).size, 0)
  assert.deepEqual(asked, [0, 0])
})

test("meshes' vouchesFor shares the cache with lookups", async () => {
  const asked: number[] = []
  const dht = standIn({ 1: [echo] }, asked)
  await collect(lookupVerified(dht, sh, { timeoutMs: 2000 }))
  assert.equal(await vouchesFor(dht, host, sh), true)
  assert.equal(await vouchesFor(dht, host, otherHash), false)
  assert.deepEqual(asked, [0, 2])
})

function record(seq: number): { ok: true; descriptor: HostDescriptorWire; seq: number } {
  return { ok: true, descriptor: { host, updated: NOW, apps: [echo], bridges: [] }, seq }
}

test('the cache keeps the newer of two records, holds at most its bound, and drops a record from the future', () => {
  const cache = new DescriptorCache(1000, 2)
  const k = (i: number) => Buffer.alloc(32, i)
  cache.put(k(1), record(5), 0)
  cache.put(k(1), record(4), 10)
  assert.equal(cache.get(k(1), 20)?.seq, 5, 'an older record does not replace a newer one')
  cache.put(k(1), record(4), 2000)
  assert.equal(cache.get(k(1), 2000)?.seq, 4, '... unless the newer one has expired')
  assert.equal(cache.get(k(1), 3001), null, 'expired')
  cache.put(k(1), record(1), 0)
  cache.put(k(2), record(1), 0)
  cache.put(k(3), record(1), 0)
  assert.equal(cache.size, 2)
  assert.equal(cache.get(k(1), 0), null, 'the least recently stored goes first')
  assert.equal(cache.get(k(2), -1), null, 'a clock that went back drops the record')
  cache.clear()
  assert.equal(cache.size, 0)
})

test('on a real DHT: a host that stops vouching but stays announced is listed from the kept record until it expires, never after', async (t) => {
  const defer = teardown(t)
  const testnet = await startTestnet(10)
  defer(() => testnet.destroy())
  const a = testnet.createNode()
  defer(() => a.destroy())
  const b = testnet.createNode()
  defer(() => b.destroy())
  const kp = DHT.keyPair()
  const seq = await publishDescriptor(a, kp, { host: kp.publicKey, apps: [echo] }, 0)
  await a.announce(sh, kp).finished()
  const t0 = Date.now()
  assert.equal((await collect(lookupVerified(b, sh, { timeoutMs: 5000, now: () => t0 }))).length, 1)
  // a new descriptor without the service, and the announcement left behind (a failed unannounce)
  await publishDescriptor(a, kp, { host: kp.publicKey, apps: [] }, seq)
  const kept = await collect(lookupVerified(b, sh, { timeoutMs: 5000, now: () => t0 + 1000 }))
  assert.equal(kept.length, 1, 'within DNS.descriptorCacheMs the kept record (signed by the host) still answers')
  assert.deepEqual(await collect(lookupVerified(b, sh, { timeoutMs: 5000, now: () => t0 + DNS.descriptorCacheMs + 1 })), [])
  assert.deepEqual(await collect(lookupVerified(b, sh, { timeoutMs: 5000, cached: false })), [])
})
