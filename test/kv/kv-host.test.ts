import test from 'node:test'
import assert from 'node:assert/strict'
import { readFile } from 'node:fs/promises'
import { join } from 'node:path'
import { formatId } from '../../host/encoding/ids.ts'
import { expireEverywhere, holdersOf, immutableHoldersOf, kvClient, startKvTestnet } from '../helpers/kv-testnet.ts'
import { removeHome, startHost } from '../helpers/hosts.ts'
import { teardown } from '../helpers/teardown.ts'

test('a host that restarts keeps what it owns alive', async (t) => {
  const defer = teardown(t)
  const testnet = await startKvTestnet(24)
  defer(() => testnet.destroy())
  const reader = await kvClient(testnet)
  defer(() => reader.close())

  const first = await startHost(testnet)
  defer(() => removeHome(first.home))
  const named = await first.host.kv!.put('greeting', Buffer.from('hello'))
  const content = await first.host.kv!.putImmutable(Buffer.from('a content-addressed value'))
  assert.equal(named.owner, formatId(first.host.identity!.publicKey), 'signed by the host identity')
  const state = JSON.parse(await readFile(join(first.home, 'kv', 'state.json'), 'utf8'))
  assert.deepEqual(state.owned.map((e: any) => e.address).sort(), [named.address, content.address].sort())
  await first.close()

  // every copy expires while the host is down (stopped nodes are the fault test's case)
  expireEverywhere(testnet, Buffer.from(named.address, 'hex'))
  expireEverywhere(testnet, Buffer.from(content.address, 'hex'))
  assert.equal(holdersOf(testnet, Buffer.from(named.address, 'hex')).length + immutableHoldersOf(testnet, Buffer.from(content.address, 'hex')).length, 0)
  await assert.rejects(reader.kv.get(named.address), { code: 'NOT_FOUND' })
  await assert.rejects(reader.kv.get(content.address), { code: 'NOT_FOUND' })

  const again = await startHost(testnet, first.home)
  defer(() => again.close())
  // its first repair round starts with the host; this one runs after it
  const round = await again.host.kv!.repairNow()
  assert.equal(round.entries, 2)
  assert.equal((await reader.kv.get(named.address)).value!.toString(), 'hello')
  assert.equal((await reader.kv.get(content.address)).value!.toString(), 'a content-addressed value')
  const st = again.host.status()
  assert.ok(st.kv?.lastRepair && st.kv.lastRepair.entries === 2)
  assert.equal(st.kv?.storedForOthers?.serving, false, "a host's ephemeral node does not store for others yet")
})
