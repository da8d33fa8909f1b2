import assert from 'node:assert/strict'
import { mkdtemp } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { test } from 'node:test'
import DHT from 'hyperdht'
import { installEchoCopies } from '../../bench/apps.ts'
import { formatStatus } from '../../host/cli/actions/daemon.ts'
import { Advertiser } from '../../host/dns/advertiser.ts'
import { encodeDescriptor, fetchDescriptor, publishDescriptor } from '../../host/dns/descriptor.ts'
import { silentLogger } from '../../host/log/logger.ts'
import { serviceHash } from '../../host/manifest/hashes.ts'
import { pageKeyPair, signPage } from '../../host/dns/descriptor-page.ts'
import { lookupVerified } from '../../host/dns/lookup.ts'
import type { LookupPeer } from '../../host/dns/lookup.ts'
import { vouchesFor } from '../../host/dns/vouches-for.ts'
import type { DescriptorAppWire } from '../../host/messages.ts'
import { openStream, plainClient, readBytes, removeHome, startHost } from '../helpers/hosts.ts'
import { startTestnet } from '../helpers/testnet.ts'
import { teardown } from '../helpers/teardown.ts'

/**
 * One DHT record holds about 8 one-service apps. A host with more writes its descriptor over
 * several records (descriptor-page.ts): every app must still be found by a verified lookup, as
 * run by its real host key, and a page must not be forgeable.
 */

test('a host with more apps than one record holds spreads its descriptor over pages, and every app is found, verified, as its host', async (t) => {
  const defer = teardown(t)
  const testnet = await startTestnet(10)
  defer(() => testnet.destroy())
  const home = await mkdtemp(join(tmpdir(), 'hn-pages-'))
  defer(() => removeHome(home))
  const names = await installEchoCopies(home, 20)
  const h = await startHost(testnet, home)
  defer(() => h.close())
  const st = h.host.status()
  assert.equal(st.apps.filter((a) => a.state === 'running').length, 20)
  assert.ok((st.descriptorRecords ?? 1) >= 3, `20 apps need 3 or more records, status says ${st.descriptorRecords}`)
  assert.equal(st.descriptorUnlisted, undefined, 'nothing left out')
  assert.match(formatStatus(st).join('\n'), new RegExp(`descriptor: ${st.descriptorRecords} DHT records`))

  const client = plainClient(testnet)
  defer(() => client.destroy())
  const hostKey = h.host.identity.publicKey.toString('hex')
  const service = (app: string) => st.services.find((s) => s.app === app)!
  const lookup = async (app: string, opts = {}) => {
    const peers: LookupPeer[] = []
    for await (const p of lookupVerified(client, Buffer.from(service(app).hash, 'hex'), { timeoutMs: 5000, ...opts })) peers.push(p)
    return peers
  }
  for (const name of names) {
    const peers = await lookup(name)
    assert.equal(peers.length, 1, `${name} is found once`)
    assert.equal(peers[0].verified, true, `${name} is verified`)
    assert.equal(peers[0].hostKey, hostKey, `${name} is run by the host, whichever record lists it`)
    assert.equal(peers[0].serviceKey, service(name).key)
  }
  const last = names[names.length - 1]
  assert.match((await lookup(last))[0].how, /page \d+ of its signed descriptor/, 'an app on a page says so')
  assert.equal((await lookup(last, { hosts: new Set([hostKey]) })).length, 1, 'a lookup restricted to trusted hosts finds an app on a page')
  assert.equal((await lookup(last, { hosts: new Set(['00'.repeat(32)]) })).length, 0, 'and not for another host')
  assert.equal(await vouchesFor(client, h.host.identity.publicKey, Buffer.from(service(last).hash, 'hex')), true, "a mesh's check finds it too")
  assert.equal(await vouchesFor(client, h.host.identity.publicKey, Buffer.alloc(32, 9)), false)

  const s = await openStream(client, service(last).key)
  s.write('hi')
  assert.equal((await readBytes(s, 2)).toString(), 'hi')
  s.destroy()
})

test('a forged descriptor page does not make its announcer vouched for', async (t) => {
  const defer = teardown(t)
  const testnet = await startTestnet(10)
  defer(() => testnet.destroy())
  const victim = DHT.keyPair()
  const mallory = DHT.keyPair()
  const node = plainClient(testnet)
  defer(() => node.destroy())
  const hash = Buffer.alloc(32, 0x42)
  const app = { codeHash: hash, name: 'x', version: '1.0.0', publisher: mallory.publicKey, services: [] }
  // 1: mallory's page naming the victim, bound by mallory's own signature
  const forged = pageKeyPair(mallory.secretKey, 1)
  await publishDescriptor(node, forged, { host: victim.publicKey, apps: [app], page: signPage(mallory, forged.publicKey, 1) }, 0)
  await node.announce(hash, forged).finished()
  // 2: the victim's real binding of its page 1, copied into a record under mallory's key
  const real = pageKeyPair(victim.secretKey, 1)
  await publishDescriptor(node, mallory, { host: victim.publicKey, apps: [app], page: signPage(victim, real.publicKey, 1) }, 0)
  await node.announce(hash, mallory).finished()

  const client = plainClient(testnet)
  defer(() => client.destroy())
  const peers: LookupPeer[] = []
  for await (const p of lookupVerified(client, hash, { all: true, timeoutMs: 5000 })) peers.push(p)
  assert.equal(peers.filter((p) => p.verified).length, 0, 'neither is vouched for')
  assert.deepEqual(peers.map((p) => p.how).sort(), ['descriptor page is not signed by the host it names', 'descriptor page names another key'])
})

test("a stale descriptor page is not taken as its host's word, whatever it lists", async (t) => {
  const defer = teardown(t)
  const testnet = await startTestnet(10)
  defer(() => testnet.destroy())
  const host = DHT.keyPair()
  const node = plainClient(testnet)
  defer(() => node.destroy())
  const hash = Buffer.alloc(32, 0x43)
  const page = pageKeyPair(host.secretKey, 1)
  const value = encodeDescriptor({
    host: host.publicKey,
    updated: Math.floor(Date.now() / 1000) - 3600,
    apps: [{ codeHash: hash, name: 'x', version: '1.0.0', publisher: host.publicKey, services: [] }],
    page: signPage(host, page.publicKey, 1)
  })
  await node.mutablePut(page, value, { seq: 1 })
  await node.announce(hash, page).finished()
  const client = plainClient(testnet)
  defer(() => client.destroy())
  const peers: LookupPeer[] = []
  for await (const p of lookupVerified(client, hash, { all: true, timeoutMs: 5000 })) peers.push(p)
  assert.equal(peers.length, 1)
  assert.equal(peers[0].verified, false)
  assert.match(peers[0].how, /stale descriptor page/)
})

/** `n` distinct one-service descriptor entries, as an advertiser is given them. */
function oneServiceApps(n: number, publisher: Buffer): DescriptorAppWire[] {
  return Array.from({ length: n }, (_, i) => ({
    codeHash: Buffer.alloc(32, i + 1),
    name: `app-${i}`,
    version: '1.0.0',
    publisher,
    services: [{ name: 'echo', port: 7, key: Buffer.alloc(32, 0xcc) }]
  }))
}

test('pages a host stops using stay published empty, and a page used again gets a newer record', async (t) => {
  const defer = teardown(t)
  const testnet = await startTestnet(10)
  defer(() => testnet.destroy())
  const node = plainClient(testnet)
  defer(() => node.destroy())
  const identity = DHT.keyPair()
  const apps = oneServiceApps(24, identity.publicKey)
  const a = new Advertiser(node, identity, silentLogger())
  await a.ready()
  defer(() => a.close())
  await a.setApps(apps)
  const many = a.records
  assert.ok(many >= 4, `${many} records for 24 apps`)
  const lastPage = pageKeyPair(identity.secretKey, many - 1).publicKey
  const listed = async () => {
    const d = await fetchDescriptor(node, lastPage)
    assert.ok(d.ok, 'the page is published')
    return { apps: d.descriptor.apps.length, seq: d.seq }
  }
  const full = await listed()
  assert.ok(full.apps > 0)

  await a.setApps(apps.slice(0, 2))
  assert.equal(a.records, 1)
  const blank = await listed()
  assert.equal(blank.apps, 0, 'an abandoned page is published empty')
  await a.refresh()
  assert.equal((await listed()).apps, 0, 'and kept so by every refresh')

  await a.setApps(apps)
  const again = await listed()
  assert.ok(again.apps > 0 && again.seq > blank.seq, `a page used again is newer than its empty copy (${again.seq} > ${blank.seq})`)
  const hash = serviceHash(apps[23].codeHash, 'echo')
  const found: LookupPeer[] = []
  for await (const p of lookupVerified(node, hash, { timeoutMs: 5000, cached: false })) found.push(p)
  assert.equal(found.filter((p) => p.verified).length, 1, 'the last app is found again')

  // removing most apps leaves most records empty: they are laid out afresh
  await a.setApps(apps.slice(20))
  assert.equal(a.records, 1, 'four apps fit the host record')
})

test('a host restarted with fewer apps empties the pages its previous run published', async (t) => {
  const defer = teardown(t)
  const testnet = await startTestnet(10)
  defer(() => testnet.destroy())
  const node = plainClient(testnet)
  defer(() => node.destroy())
  const identity = DHT.keyPair()
  const apps = oneServiceApps(16, identity.publicKey)
  const first = new Advertiser(node, identity, silentLogger())
  await first.ready()
  await first.setApps(apps)
  const pages = first.records - 1
  assert.ok(pages >= 1)
  await first.close()

  const second = new Advertiser(node, identity, silentLogger())
  await second.ready()
  defer(() => second.close())
  await second.setApps(apps.slice(0, 1))
  const page = pageKeyPair(identity.secretKey, pages).publicKey
  let left = -1
  for (let i = 0; i < 50 && left !== 0; i++) {
    await new Promise((r) => setTimeout(r, 100))
    const d = await fetchDescriptor(node, page)
    left = d.ok ? d.descriptor.apps.length : -1
  }
  assert.equal(left, 0, "the previous run's last page is published empty")
})

test('a record published by a restarted host, which does not know its earlier seq, replaces the earlier one within the same second', async (t) => {
  const defer = teardown(t)
  const testnet = await startTestnet(10)
  defer(() => testnet.destroy())
  const node = plainClient(testnet)
  defer(() => node.destroy())
  const identity = DHT.keyPair()
  const apps = oneServiceApps(1, identity.publicKey)
  await publishDescriptor(node, identity, { host: identity.publicKey, apps, bridges: [] }, 0)
  // what a second run publishes first: it starts from seq 0, as it has for its pages
  await publishDescriptor(node, identity, { host: identity.publicKey, apps: [], bridges: [] }, 0)
  const d = await fetchDescriptor(node, identity.publicKey)
  assert.ok(d.ok, 'the record is found')
  assert.equal(d.descriptor.apps.length, 0, 'the later record wins')
})
