import test from 'node:test'
import assert from 'node:assert/strict'
import { lookupVerified } from '../../host/dns/lookup.ts'
import type { LookupPeer } from '../../host/dns/lookup.ts'
import { NOW, echo, sh, standIn } from '../helpers/descriptor-stand-in.ts'

/**
 * Which descriptor a lookup trusts: the first signed record found, unless it does not list
 * the hash, then a newer one. A stand-in DHT (test/helpers/descriptor-stand-in.ts) serves an
 * old record (seq 1, without the service) to a first-found query and a new one (seq 2, with
 * it) to a query from seq 2 on.
 */

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
