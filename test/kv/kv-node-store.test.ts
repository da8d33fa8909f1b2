import test from 'node:test'
import assert from 'node:assert/strict'
import DHT from 'hyperdht'
import { KV_WIRE_ERROR } from '../../host/constants.ts'
import { recordTarget } from '../../host/kv/kv-address.ts'
import { KV_ENTRY_OVERHEAD_BYTES, KvNodeStore } from '../../host/kv/kv-node-store.ts'
import { envelopeBytes, signRecord } from '../../host/kv/kv-record.ts'
import type { KvRecord } from '../../host/kv/kv-record.ts'

const owner = DHT.keyPair(Buffer.alloc(32, 1))
const mallory = DHT.keyPair(Buffer.alloc(32, 2))
const E = KV_WIRE_ERROR

function put(store: KvNodeStore, r: KvRecord): number {
  return store.put(recordTarget(r.address), envelopeBytes(r))
}

test('a node stores a verified record, refreshes it on the same bytes, and drops it after its TTL', () => {
  let now = 1000
  const store = new KvNodeStore({ ttlMs: 100, now: () => now })
  const r = signRecord(owner, 'k', 1, Buffer.from('v'))
  assert.equal(put(store, r), 0)
  assert.ok(store.get(recordTarget(r.address))!.equals(envelopeBytes(r)))
  now = 1090
  assert.equal(put(store, r), 0, 'the same bytes again refresh the TTL')
  now = 1150
  assert.ok(store.get(recordTarget(r.address)), 'still there: refreshed at 1090')
  now = 1191
  assert.equal(store.get(recordTarget(r.address)), null)
  assert.equal(store.usedBytes, 0)
})

test('a lower seq is refused as SEQ_TOO_LOW and another value at the same seq as SEQ_REUSED', () => {
  const store = new KvNodeStore()
  assert.equal(put(store, signRecord(owner, 'k', 5, Buffer.from('five'))), 0)
  assert.equal(put(store, signRecord(owner, 'k', 4, Buffer.from('four'))), E.SEQ_TOO_LOW)
  assert.equal(put(store, signRecord(owner, 'k', 5, Buffer.from('other'))), E.SEQ_REUSED)
  assert.equal(put(store, signRecord(owner, 'k', 6, Buffer.from('six'))), 0)
})

test('a removal outranks the value of its seq, and no value of lower or equal seq comes back', () => {
  const store = new KvNodeStore()
  const v = signRecord(owner, 'k', 5, Buffer.from('five'))
  assert.equal(put(store, v), 0)
  const rm = signRecord(owner, 'k', 5, null)
  assert.equal(put(store, rm), 0, 'a removal at the same seq wins')
  assert.equal(put(store, v), E.REMOVED)
  assert.equal(put(store, signRecord(owner, 'k', 4, Buffer.from('four'))), E.SEQ_TOO_LOW)
  assert.ok(store.get(recordTarget(rm.address))!.equals(envelopeBytes(rm)))
  assert.equal(put(store, signRecord(owner, 'k', 6, Buffer.from('back'))), 0, 'the owner may write again above the removal')
})

test('forged, misaddressed, malformed and oversized writes are refused', () => {
  const store = new KvNodeStore()
  const r = signRecord(owner, 'k', 5, Buffer.from('v'))
  const forged = signRecord(mallory, 'k', 9, Buffer.from('pwned'))
  // mallory's envelope sent to the owner's target: the address does not match the target
  assert.equal(store.put(recordTarget(r.address), envelopeBytes(forged)), E.BAD_RECORD)
  // mallory's record under the owner's address: the address key's signature fails
  const env = { ...forged.envelope, address: r.address }
  const bytes = Buffer.from(envelopeBytes({ ...forged, envelope: env }))
  assert.equal(store.put(recordTarget(r.address), bytes), E.NOT_OWNER)
  assert.equal(store.put(recordTarget(r.address), Buffer.from('garbage')), E.BAD_RECORD)
  assert.equal(store.put(recordTarget(r.address), Buffer.alloc(5000)), E.TOO_LARGE)
  assert.equal(store.size, 0)
})

test('what a node stores for others stays within its quotas, per owner and in all', () => {
  // each record is charged its envelope and what keeping it costs in memory
  const one = envelopeBytes(signRecord(owner, 'k0', 1, Buffer.alloc(100))).byteLength + KV_ENTRY_OVERHEAD_BYTES
  const store = new KvNodeStore({ ownerQuotaBytes: one * 2, quotaBytes: one * 3 })
  assert.equal(put(store, signRecord(owner, 'k0', 1, Buffer.alloc(100))), 0)
  assert.equal(put(store, signRecord(owner, 'k1', 1, Buffer.alloc(100))), 0)
  assert.equal(put(store, signRecord(owner, 'k2', 1, Buffer.alloc(100))), E.QUOTA, 'the owner is at its quota')
  assert.equal(put(store, signRecord(owner, 'k1', 2, Buffer.alloc(100))), 0, 'replacing a record counts only the difference')
  assert.equal(put(store, signRecord(mallory, 'm0', 1, Buffer.alloc(100))), 0)
  assert.equal(put(store, signRecord(mallory, 'm1', 1, Buffer.alloc(100))), E.QUOTA, 'the node is at its quota')
  assert.equal(store.usedBytes, one * 3)
})

test('expired records make room for new ones', () => {
  let now = 0
  const one = envelopeBytes(signRecord(owner, 'k0', 1, Buffer.alloc(10))).byteLength + KV_ENTRY_OVERHEAD_BYTES
  const store = new KvNodeStore({ quotaBytes: one, ttlMs: 10, now: () => now })
  assert.equal(put(store, signRecord(owner, 'k0', 1, Buffer.alloc(10))), 0)
  assert.equal(put(store, signRecord(owner, 'k1', 1, Buffer.alloc(10))), E.QUOTA)
  now = 11
  assert.equal(put(store, signRecord(owner, 'k1', 1, Buffer.alloc(10))), 0)
})
