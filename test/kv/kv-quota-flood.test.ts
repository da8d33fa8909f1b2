import test from 'node:test'
import assert from 'node:assert/strict'
import { setFlagsFromString } from 'node:v8'
import { runInNewContext } from 'node:vm'
import DHT from 'hyperdht'
import { KV, KV_WIRE_ERROR } from '../../host/constants.ts'
import { formatId } from '../../host/encoding/ids.ts'
import { recordTarget } from '../../host/kv/kv-address.ts'
import { KV_ENTRY_OVERHEAD_BYTES, KvNodeStore } from '../../host/kv/kv-node-store.ts'
import { fetchRecord } from '../../host/kv/kv-fetch.ts'
import { envelopeBytes, signRecord } from '../../host/kv/kv-record.ts'
import type { KvRecord } from '../../host/kv/kv-record.ts'
import { replicateRecord } from '../../host/kv/kv-replicate.ts'
import { pluginOf, startKvTestnet } from '../helpers/kv-testnet.ts'
import { teardown } from '../helpers/teardown.ts'

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

test('over the wire: fresh owners flooding a small testnet fill each node only to its quota; records stored before stay readable', async (t) => {
  const defer = teardown(t)
  const full = envelopeBytes(signRecord(DHT.keyPair(), 'k0', 1, Buffer.alloc(KV.maxValueBytes))).byteLength + KV_ENTRY_OVERHEAD_BYTES
  // small quotas so a flood fills them in seconds: 6 full-size records a node, 2 an owner
  const quotaBytes = 6 * full
  const testnet = await startKvTestnet(12, { quotaBytes, ownerQuotaBytes: 2 * full })
  defer(() => testnet.destroy())
  const dht = testnet.createNode()
  await dht.fullyBootstrapped()
  const reader = testnet.createNode()
  await reader.fullyBootstrapped()
  const nodes = testnet.nodes.filter((n) => !n.ephemeral && n !== dht && n !== reader)

  const honest = Array.from({ length: 4 }, (_, i) => signRecord(DHT.keyPair(), 'mine', 1, Buffer.from(`honest ${i}`)))
  for (const r of honest) assert.ok((await replicateRecord(dht, r, { force: true, paths: ['plugin'] })).copies > 0)

  const value = Buffer.alloc(KV.maxValueBytes, 0x5a)
  const t0 = Date.now()
  let owners = 0
  let puts = 0
  let refusedEverywhere = 0
  const refusals: Record<string, number> = {}
  while (owners < 40 && refusedEverywhere < 3) {
    const o = DHT.keyPair()
    owners++
    for (let i = 0; i < 3; i++) {
      const rep = await replicateRecord(dht, signRecord(o, `k${i}`, 1, value), { force: true, paths: ['plugin'] })
      puts++
      for (const p of rep.paths) for (const [why, n] of Object.entries(p.refused)) refusals[why] = (refusals[why] ?? 0) + n
      if (rep.copies === 0 && i === 0) refusedEverywhere++
    }
  }
  const used = nodes.map((n) => pluginOf(n).store.usedBytes)
  console.log(
    `# figure kv quota flood over the wire: ${JSON.stringify({ nodes: nodes.length, quotaBytes, owners, puts, refusals, usedPerNode: used, seconds: (Date.now() - t0) / 1000 })}`
  )
  for (const u of used) assert.ok(u <= quotaBytes, `a node holds ${u} of its ${quotaBytes}`)
  assert.ok(refusedEverywhere > 0, 'the flood filled the nodes')
  for (const r of honest) {
    const f = await fetchRecord(reader, r.address, { paths: ['plugin'] })
    assert.ok(f.record && envelopeBytes(f.record).equals(envelopeBytes(r)), 'a record stored before the flood is still readable')
  }
})
