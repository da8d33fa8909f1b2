import test from 'node:test'
import assert from 'node:assert/strict'
import c from 'compact-encoding'
import Plugin from 'hyperdht/lib/plugin.js'
import type { IncomingRequest, PluginRequest } from 'hyperdht/lib/plugin.js'
import { mutableGetResponse } from 'hyperdht/lib/messages.js'
import { KV } from '../../host/constants.ts'
import { formatId } from '../../host/encoding/ids.ts'
import { recordTarget } from '../../host/kv/kv-address.ts'
import { KV_ENTRY_OVERHEAD_BYTES } from '../../host/kv/kv-node-store.ts'
import { fetchRecord } from '../../host/kv/kv-fetch.ts'
import { envelopeBytes, signRecord } from '../../host/kv/kv-record.ts'
import type { KvRecord } from '../../host/kv/kv-record.ts'
import { replicateRecord } from '../../host/kv/kv-replicate.ts'
import { encode, kvRecord } from '../../host/messages.ts'
import { decodeExact } from '../../host/messages.ts'
import { holdersOf, kvClient, pluginOf, startKvTestnet, stopNodes } from '../helpers/kv-testnet.ts'
import { teardown } from '../helpers/teardown.ts'

// Every fault on a real HyperDHT on loopback (24 nodes; 32 where nodes are stopped, so that a
// walk still finds k = 20 live nodes and need not wait out the stopped ones), each node running
// the KV plugin.

async function setup(t: any, clients = 2, size = 24) {
  const defer = teardown(t)
  const testnet = await startKvTestnet(size)
  defer(() => testnet.destroy())
  const out = []
  for (let i = 0; i < clients; i++) {
    const cl = await kvClient(testnet)
    defer(() => cl.close())
    out.push(cl)
  }
  return { testnet, clients: out, defer }
}

test('a value stays retrievable after the nodes that held it stop, once its owner repairs it', async (t) => {
  const {
    testnet,
    clients: [owner, reader]
  } = await setup(t, 2, 32)
  const put = await owner.kv.put('greeting', Buffer.from('hello'))
  const address = Buffer.from(put.address, 'hex')
  const held = holdersOf(testnet, address)
  assert.ok(held.length >= 1 && held.length <= KV.replicas * 2, `${held.length} nodes hold it`)

  await stopNodes(testnet, held)
  assert.equal(holdersOf(testnet, address).length, 0, 'no copy is left in the DHT')
  await assert.rejects(reader.kv.get(put.address), { code: 'NOT_FOUND' })

  const round = await owner.kv.repairNow()
  assert.equal(round.entries, 1)
  assert.ok(round.written > 0, 'the owner wrote new copies')
  const now = holdersOf(testnet, address)
  assert.ok(now.length >= 1 && now.every((n) => !held.includes(n)))
  const got = await reader.kv.get(put.address)
  assert.equal(got.value!.toString(), 'hello')
  assert.equal(got.seq, put.seq)
})

test('after the owner removes a value every reader gets "removed", also after repair runs', async (t) => {
  const {
    testnet,
    clients: [owner, pinner, reader]
  } = await setup(t, 3, 32)
  const put = await owner.kv.put('greeting', Buffer.from('hello'))
  await pinner.kv.pin(put.address)
  assert.equal((await reader.kv.get(put.address)).value!.toString(), 'hello')

  const rm = await owner.kv.remove('greeting')
  assert.equal(rm.state, 'removed')
  assert.ok(rm.seq! > put.seq!)
  for (const cl of [owner, pinner, reader]) {
    const got = await cl.kv.get(put.address)
    assert.equal(got.state, 'removed')
    assert.equal(got.value, null)
  }

  // the pinner still holds the old value: its repair must adopt the removal, not resurrect the value
  const round = await pinner.kv.repairNow()
  assert.equal(round.adopted, 1)
  assert.equal((await pinner.kv.list())[0].state, 'removed')

  // lose every copy, then let the pinner and the owner repair: the removal is what comes back
  await stopNodes(testnet, holdersOf(testnet, Buffer.from(put.address, 'hex')))
  await pinner.kv.repairNow()
  await owner.kv.repairNow()
  const after = await reader.kv.get(put.address)
  assert.equal(after.state, 'removed')
  assert.equal(after.seq, rm.seq)
})

test('a non-owner cannot remove or overwrite a value: the nodes refuse it and the value stands', async (t) => {
  const {
    testnet,
    clients: [owner, mallory, reader],
    defer
  } = await setup(t, 3)
  const put = await owner.kv.put('greeting', Buffer.from('hello'))
  const address = Buffer.from(put.address, 'hex')
  const genuine = (await fetchRecord(reader.dht, address)).record!

  // through the API: refused before anything is signed
  await assert.rejects(mallory.kv.remove(put.address), { code: 'KV_NOT_OWNER', message: new RegExp(`owned by ${put.owner}`) })

  // a removal mallory signed, sent to the owner's address: the storing nodes refuse it
  const own = signRecord(mallory.identity, 'greeting', put.seq! + 1, null)
  const forgedRemoval: KvRecord = { ...own, address, envelope: { ...own.envelope, address } }
  const plugin = await replicateRecord(mallory.dht, forgedRemoval, { force: true, paths: ['plugin'] })
  assert.equal(plugin.paths[0].stored, 0)
  assert.ok(plugin.paths[0].refused.NOT_OWNER >= 1, JSON.stringify(plugin.paths[0]))
  // plain HyperDHT nodes drop it too (without an answer: each write waits out its retries)
  const mirror = await replicateRecord(mallory.dht, forgedRemoval, { force: true, paths: ['mirror'], replicas: 1 })
  assert.equal(mirror.paths[0].stored, 0)
  assert.equal(mirror.paths[0].unanswered, 1)

  // an overwrite: the owner's record with another value, signatures kept
  const wire = decodeExact(kvRecord, genuine.envelope.record, 'kv record')
  const altered = encode(kvRecord, { ...wire, value: Buffer.from('pwned') })
  const overwrite: KvRecord = {
    ...genuine,
    seq: genuine.seq + 1,
    value: Buffer.from('pwned'),
    envelope: { ...genuine.envelope, seq: genuine.seq + 1, record: altered }
  }
  const plainMallory = await kvClient(testnet, { paths: ['plugin'] }, mallory.identity)
  defer(() => plainMallory.close())
  const err = await plainMallory.kv.publish(overwrite).catch((e) => e)
  assert.equal(err.code, 'KV_NOT_OWNER', err.message)
  assert.ok(err.details.refused.NOT_OWNER >= 1)

  const got = await reader.kv.get(put.address)
  assert.equal(got.value!.toString(), 'hello')
  assert.equal(got.seq, put.seq)
})

test('a stale write (a lower sequence number) is refused by the storing nodes', async (t) => {
  const {
    clients: [owner, other, reader]
  } = await setup(t, 3)
  const v1 = await owner.kv.put('greeting', Buffer.from('one'))
  const old = (await fetchRecord(reader.dht, Buffer.from(v1.address, 'hex'))).record!
  const v2 = await owner.kv.put('greeting', Buffer.from('two'))
  assert.ok(v2.seq! > v1.seq!)

  // the owner itself, writing below the stored seq
  const err = await owner.kv.put('greeting', Buffer.from('older'), { seq: v2.seq! - 1 }).catch((e) => e)
  assert.equal(err.code, 'KV_STALE', err.message)
  assert.match(err.message, new RegExp(`expected a sequence number above ${v2.seq}, got ${v2.seq! - 1}`))
  assert.ok(err.details.refused.SEQ_TOO_LOW >= 1, JSON.stringify(err.details.refused))

  // anyone replaying the genuine older version
  await assert.rejects(other.kv.publish(old), { code: 'KV_STALE' })

  const got = await reader.kv.get(v1.address)
  assert.equal(got.value!.toString(), 'two')
  assert.equal(got.seq, v2.seq)
})

class LyingPlugin extends Plugin {
  constructor(private readonly answer: Buffer) {
    super(KV.plugin, KV.pluginVersion)
  }
  override onrequest(_req: PluginRequest, outer: IncomingRequest): void {
    outer.reply(this.answer)
  }
  override onpersistent(): void {}
  override destroy(): void {}
}

test('corrupt and forged records from nodes are detected and ignored', async (t) => {
  const {
    testnet,
    clients: [owner, mallory, reader]
  } = await setup(t, 3)
  const put = await owner.kv.put('greeting', Buffer.from('hello'))
  const address = Buffer.from(put.address, 'hex')
  const target = formatId(recordTarget(address))
  const liars = holdersOf(testnet, address).slice(0, 4)
  assert.equal(liars.length, 4)

  const own = signRecord(mallory.identity, 'greeting', put.seq! + 100, Buffer.from('pwned'))
  const answers = [
    Buffer.from('corrupt bytes, not an envelope'),
    envelopeBytes(own), // validly signed, but for mallory's own address
    envelopeBytes({ ...own, envelope: { ...own.envelope, address } }), // claims the owner's address
    Buffer.alloc(0)
  ]
  liars.forEach((node, i) => {
    node.register(KV.plugin, new LyingPlugin(answers[i]))
    // and HyperDHT's own copy: a newer-looking record with a made-up signature
    ;(node as any)._persistent.mutables.set(
      target,
      c.encode(mutableGetResponse, { seq: put.seq! + 100, value: Buffer.from('pwned'), signature: Buffer.alloc(64, 7) })
    )
  })

  const got = await reader.kv.get(put.address)
  assert.equal(got.value!.toString(), 'hello')
  assert.equal(got.seq, put.seq)
  const ignored = (got.ignored.forged ?? 0) + (got.ignored.corrupt ?? 0)
  assert.ok(ignored >= 6, `ignored ${JSON.stringify(got.ignored)}`)
  assert.ok(got.ignored.forged >= 4 && got.ignored.corrupt >= 1, JSON.stringify(got.ignored))

  // the owner's repair is not fooled either: nothing "newer" is adopted
  const round = await owner.kv.repairNow()
  assert.equal(round.adopted, 0)
  assert.ok(round.ignored >= 1)
})

test('a node stores no more for others than its quota, and the writer is told why', async (t) => {
  const defer = teardown(t)
  // each node keeps one record per owner (each is charged its envelope and its memory overhead)
  const testnet = await startKvTestnet(20, { ownerQuotaBytes: 1500 + KV_ENTRY_OVERHEAD_BYTES })
  defer(() => testnet.destroy())
  const writer = await kvClient(testnet, { paths: ['plugin'] })
  defer(() => writer.close())
  const other = await kvClient(testnet, { paths: ['plugin'] })
  defer(() => other.close())
  // the writer already has a record on every node
  const first = signRecord(writer.identity, 'a', 1, Buffer.alloc(900))
  for (const node of testnet.nodes) if (!node.ephemeral) assert.equal(pluginOf(node).store.put(recordTarget(first.address), envelopeBytes(first)), 0)

  const err = await writer.kv.put('b', Buffer.alloc(900)).catch((e) => e)
  assert.equal(err.code, 'KV_QUOTA', err.message)
  assert.match(err.message, /^KV_QUOTA: [0-9a-f]{64}: the storing nodes are full \(8 refused for their quota of what they store for others\)$/)
  // the quota is per owner: another owner still gets stored
  assert.deepEqual((await other.kv.put('b', Buffer.alloc(900))).copies, { plugin: 8 })
})
