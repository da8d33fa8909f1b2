import test from 'node:test'
import assert from 'node:assert/strict'
import DHT from 'hyperdht'
import { Advertiser } from '../../host/dns/advertiser.ts'
import { lookupVerified } from '../../host/dns/lookup.ts'
import type { LookupPeer } from '../../host/dns/lookup.ts'
import { serviceHash } from '../../host/manifest/hashes.ts'
import { silentLogger } from '../../host/log/logger.ts'
import type { DescriptorAppWire } from '../../host/messages.ts'
import { startTestnet } from '../helpers/testnet.ts'
import { teardown } from '../helpers/teardown.ts'

const code = Buffer.alloc(32, 7)
const app: DescriptorAppWire = {
  codeHash: code,
  name: 'echo',
  version: '1.0.0',
  publisher: Buffer.alloc(32, 9),
  services: [{ name: 'echo', port: 7, key: Buffer.alloc(32, 1) }]
}

async function collect(it: AsyncGenerator<LookupPeer>): Promise<LookupPeer[]> {
  const out: LookupPeer[] = []
  for await (const p of it) out.push(p)
  return out
}

test('a lookup returns the announcing host, verified by its signed descriptor, once', async (t) => {
  const defer = teardown(t)
  const testnet = await startTestnet(10)
  defer(() => testnet.destroy())
  const a = testnet.createNode()
  defer(() => a.destroy())
  const b = testnet.createNode()
  defer(() => b.destroy())
  const keyPair = DHT.keyPair()
  const adv = new Advertiser(a, keyPair, silentLogger())
  defer(() => adv.close())
  await adv.ready()
  await adv.setApps([app])

  const sh = serviceHash(code, 'echo')
  const byService = await collect(lookupVerified(b, sh, { timeoutMs: 5000 }))
  assert.equal(byService.length, 1, 'deduplicated by host key')
  assert.equal(byService[0].verified, true)
  assert.equal(byService[0].hostKey, keyPair.publicKey.toString('hex'))
  assert.equal(byService[0].serviceKey, '01'.repeat(32))
  assert.equal(byService[0].app, 'echo')
  assert.equal(byService[0].port, 7)
  assert.match(byService[0].how, /signed descriptor/)

  const byCode = await collect(lookupVerified(b, code, { timeoutMs: 5000 }))
  assert.equal(byCode.length, 1)
  assert.equal(byCode[0].serviceHash, sh.toString('hex'))
})

test('a peer announcing a hash its descriptor does not vouch for is left out, or shown unverified with all', async (t) => {
  const defer = teardown(t)
  const testnet = await startTestnet(10)
  defer(() => testnet.destroy())
  const liar = testnet.createNode()
  defer(() => liar.destroy())
  const b = testnet.createNode()
  defer(() => b.destroy())
  const sh = serviceHash(code, 'echo')
  // the liar announces the topic but publishes a descriptor without it
  const kp = DHT.keyPair()
  const adv = new Advertiser(liar, kp, silentLogger())
  defer(() => adv.close())
  await adv.setApps([])
  await liar.announce(sh, kp).finished()
  // and another announces with no descriptor at all
  await liar.announce(sh, DHT.keyPair()).finished()

  assert.deepEqual(await collect(lookupVerified(b, sh, { timeoutMs: 5000 })), [])
  const all = await collect(lookupVerified(b, sh, { timeoutMs: 5000, all: true }))
  assert.equal(all.length, 2)
  assert.ok(all.every((p) => !p.verified))
  assert.deepEqual(all.map((p) => p.how).sort(), ['no signed descriptor found', "the host's signed descriptor does not list this hash"])
})

test('withdrawing an app removes it from lookups', async (t) => {
  const defer = teardown(t)
  const testnet = await startTestnet(10)
  defer(() => testnet.destroy())
  const a = testnet.createNode()
  defer(() => a.destroy())
  const b = testnet.createNode()
  defer(() => b.destroy())
  const adv = new Advertiser(a, DHT.keyPair(), silentLogger())
  defer(() => adv.close())
  await adv.setApps([app])
  const sh = serviceHash(code, 'echo')
  assert.equal((await collect(lookupVerified(b, sh, { timeoutMs: 5000 }))).length, 1)
  await adv.setApps([])
  assert.equal((await collect(lookupVerified(b, sh, { timeoutMs: 5000 }))).length, 0)
  assert.deepEqual(adv.status(), [])
})
