import assert from 'node:assert/strict'
import { mkdtemp } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { test } from 'node:test'
import { installEchoCopies } from '../../bench/apps.ts'
import { lookupVerified } from '../../host/dns/lookup.ts'
import type { LookupPeer } from '../../host/dns/lookup.ts'
import { openStream, plainClient, readBytes, removeHome, startHost } from '../helpers/hosts.ts'
import { freeUdpPort, startTestnet } from '../helpers/testnet.ts'
import { teardown } from '../helpers/teardown.ts'

/**
 * A host that starts with no DHT node answering (offline) runs its apps without waiting on the
 * network (each listen and descriptor publish used to wait out its timeouts: ~6 s a service,
 * ~12 s a record), and once a node answers it is found by a verified lookup and connected to.
 */

test('a host started offline runs its apps at once, and is found and reached once a DHT node answers', async (t) => {
  const defer = teardown(t)
  const testnet = await startTestnet(10)
  defer(() => testnet.destroy())
  const home = await mkdtemp(join(tmpdir(), 'hn-offline-'))
  defer(() => removeHome(home))
  const names = await installEchoCopies(home, 3)
  const bootstrap = { host: '127.0.0.1', port: await freeUdpPort() }
  const h = await startHost(testnet, home, { bootstrap: [bootstrap] })
  defer(() => h.close())

  const st = h.host.status()
  assert.equal(st.network.answered, false, 'no bootstrap node answered')
  assert.deepEqual(
    st.apps.filter((a) => a.state === 'running').map((a) => a.name),
    names,
    'every app runs'
  )
  assert.equal(st.services.length, 3, 'every service is listened on')
  assert.equal(h.host.advertiser.lastDescriptor, null, 'nothing was published while offline')

  // the network comes back: its bootstrap node answers (a node of the testnet on that port),
  // and the host's node learns it
  const back = testnet.createNode({ port: bootstrap.port, ephemeral: false })
  await back.ready()
  h.host.dht.addNode(bootstrap)
  const client = plainClient(testnet)
  defer(() => client.destroy())
  const service = st.services.find((s) => s.app === names[2])!
  let found: LookupPeer[] = []
  for (let i = 0; i < 60 && found.length === 0; i++) {
    if (i > 0) await new Promise((r) => setTimeout(r, 250))
    found = []
    for await (const p of lookupVerified(client, Buffer.from(service.hash, 'hex'), { timeoutMs: 3000, cached: false })) found.push(p)
  }
  assert.equal(found.length, 1, 'the service is found once the host is back online')
  assert.equal(found[0].verified, true)
  assert.equal(found[0].hostKey, h.host.identity.publicKey.toString('hex'))
  assert.ok(h.host.advertiser.lastDescriptor, 'the descriptor is published')

  const s = await openStream(client, found[0].serviceKey!)
  s.write('back')
  assert.equal((await readBytes(s, 4)).toString(), 'back', 'and the echo answers through the DHT')
  s.destroy()
})
