import assert from 'node:assert/strict'
import { mkdtemp } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { test } from 'node:test'
import { installEchoCopies } from '../../bench/apps.ts'
import { formatStatus } from '../../host/cli/actions/daemon.ts'
import { lookupVerified } from '../../host/dns/lookup.ts'
import { openStream, plainClient, readBytes, removeHome, startHost } from '../helpers/hosts.ts'
import { startTestnet } from '../helpers/testnet.ts'
import { teardown } from '../helpers/teardown.ts'

/**
 * The host descriptor is one DHT record (1000 bytes, about 8 one-service apps). A host with
 * more apps lists as many as fit and says which it left out; before, one app too many left it
 * with no descriptor at all, so no app of the host could be found by a verified lookup.
 */

test('a host with more apps than its descriptor holds lists those that fit, names the rest, and each still answers on its key', async (t) => {
  const defer = teardown(t)
  const testnet = await startTestnet(10)
  defer(() => testnet.destroy())
  const home = await mkdtemp(join(tmpdir(), 'hn-full-'))
  defer(() => removeHome(home))
  await installEchoCopies(home, 12)
  const h = await startHost(testnet, home)
  defer(() => h.close())
  const st = h.host.status()
  assert.equal(st.apps.filter((a) => a.state === 'running').length, 12)
  const unlisted = st.descriptorUnlisted ?? []
  assert.ok(unlisted.length > 0 && unlisted.length < 12, `some apps left out: ${unlisted}`)
  const order = st.apps.map((a) => a.name)
  assert.deepEqual(unlisted, order.slice(order.length - unlisted.length), "the apps beyond what fits, in the host's order")
  assert.match(formatStatus(st).join('\n'), new RegExp(`${unlisted.length} apps? not in the host descriptor .*not found by lookup: ${unlisted[0]}`))

  const client = plainClient(testnet)
  defer(() => client.destroy())
  const service = (app: string) => st.services.find((s) => s.app === app)!
  const found = async (app: string) => {
    const peers = []
    for await (const p of lookupVerified(client, Buffer.from(service(app).hash, 'hex'), { timeoutMs: 5000 })) peers.push(p)
    return peers.filter((p) => p.verified).length
  }
  assert.equal(await found(order[0]), 1, 'a listed app is found, verified')
  assert.equal(await found(unlisted[0]), 0, 'an unlisted app is not claimed')
  const s = await openStream(client, service(unlisted[0]).key)
  s.write('hi')
  assert.equal((await readBytes(s, 2)).toString(), 'hi', 'an unlisted app answers on its service key')
  s.destroy()
})
