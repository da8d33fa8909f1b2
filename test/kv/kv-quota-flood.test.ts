import test from 'node:test'
import assert from 'node:assert/strict'
import { setFlagsFromString } from 'node:v8'
import { runInNewContext } from 'node:vm'
import DHT from 'hyperdht'
import { KV, KV_WIRE_ERROR } from '../../host/constants.ts'
import { formatId } from '../../host/encoding/ids.ts'
import { recordTarget } from '../../host/kv/kv-address.ts'
import { KV_ENTRY_OVERHEAD_BYTES, KvNodeStore } from '../../host/kv/kv-node-store.ts'
import { envelopeBytes, signRecord } from '../../host/kv/kv-record.ts'
import type { KvRecord } from '../../host/kv/kv-record.ts'

/**
 * One node's store (what its KV plugin calls for every PUT) flooded by many fresh owner keys,
 * each storing full-size values until it is refused, with the node's default quotas: the total
 * stays within the node quota, in charged bytes and in real memory (heap and buffers after GC),
 * every owner within its own, and the records stored before the flood stay readable and
 * updatable. Figures are printed with `# figure` for the README.
 */

setFlagsFromString('--expose-gc')
const gc = runInNewContext('gc') as () => void

function memory(): number {
  for (let i = 0; i < 3; i++) gc()
  const m = process.memoryUsage()
  return m.heapUsed + m.arrayBuffers
}

function put(store: KvNodeStore, r: KvRecord): number {
  return store.put(recordTarget(r.address), envelopeBytes(r))
}

test('many owners flooding one node keep within its quotas, in bytes and in memory; earlier records stay readable', () => {
  const store = new KvNodeStore()
  // honest owners, before the flood: one value each
  const honest = Array.from({ length: 20 }, (_, i) => ({ owner: DHT.keyPair(), record: null as KvRecord | null, i }))
  for (const h of honest) {
    h.record = signRecord(h.owner, 'mine', 1, Buffer.from(`honest ${h.i}`))
    assert.equal(put(store, h.record), 0)
  }
  const base = memory()
  const t0 = Date.now()
  const value = Buffer.alloc(KV.maxValueBytes, 0x5a)
  let owners = 0
  let stored = 0
  let refusedOwnerFull = 0
  const perOwner: number[] = []
  for (;;) {
    const o = DHT.keyPair()
    owners++
    let n = 0
    for (;;) {
      const err = put(store, signRecord(o, `k${n}`, 1, value))
      if (err !== 0) {
        assert.equal(err, KV_WIRE_ERROR.QUOTA)
        break
      }
      n++
    }
    stored += n
    perOwner.push(n)
    assert.ok(store.ownerUsage(formatId(o.publicKey)) <= store.ownerQuotaBytes, 'an owner within its quota')
    if (n === 0) break
    refusedOwnerFull++
  }
  const ms = Date.now() - t0
  const real = memory() - base
  const fullEnvelope = envelopeBytes(signRecord(DHT.keyPair(), 'k0', 1, value)).byteLength

  // the records stored before the flood: still there, byte for byte, and their owners can update them
  for (const h of honest) {
    assert.ok(store.get(recordTarget(h.record!.address))!.equals(envelopeBytes(h.record!)), `honest ${h.i} still readable`)
  }
  const update = signRecord(honest[0].owner, 'mine', 2, Buffer.from('HONEST 0'))
  assert.equal(put(store, update), 0, 'an owner replaces its own record (same size) on a full node')
  // a newcomer's full-size value is refused: the node holds as much as it will for others (no eviction)
  assert.equal(put(store, signRecord(DHT.keyPair(), 'late', 1, value)), KV_WIRE_ERROR.QUOTA)

  console.log(
    `# figure kv quota flood: ${JSON.stringify({
      quotaMiB: store.quotaBytes / 2 ** 20,
      ownerQuotaMiB: store.ownerQuotaBytes / 2 ** 20,
      envelopeBytes: fullEnvelope,
      chargedPerRecord: fullEnvelope + KV_ENTRY_OVERHEAD_BYTES,
      floodOwners: owners,
      ownersFilledToTheirQuota: refusedOwnerFull,
      recordsPerFullOwner: perOwner[0],
      recordsStored: stored,
      chargedMiB: +(store.usedBytes / 2 ** 20).toFixed(2),
      realMemoryMiB: +(real / 2 ** 20).toFixed(2),
      realPerRecord: Math.round(real / stored),
      seconds: ms / 1000
    })}`
  )
  assert.ok(store.usedBytes <= store.quotaBytes, 'the node total within its quota')
  assert.ok(real <= 1.5 * store.quotaBytes, `real memory ${Math.round(real / 2 ** 20)} MiB for a ${store.quotaBytes / 2 ** 20} MiB quota`)
})
