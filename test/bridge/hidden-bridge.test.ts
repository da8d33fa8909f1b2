import test from 'node:test'
import assert from 'node:assert/strict'
import { randomBytes } from 'node:crypto'
import { mkdtemp, readFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { BridgeStatus } from '../../host/bridge/bridge-manager.ts'
import { fetchDescriptor } from '../../host/dns/descriptor.ts'
import { lookupVerified } from '../../host/dns/lookup.ts'
import { cli, oneLine } from '../helpers/cli.ts'
import { plainClient, removeHome, startHost } from '../helpers/hosts.ts'
import { until } from '../helpers/plugin-apps.ts'
import { exchange, freePort, tcpServer } from '../helpers/tcp.ts'
import { teardown } from '../helpers/teardown.ts'
import { startTestnet } from '../helpers/testnet.ts'

const RELAYS = 5

test('a TCP server exposed as a hidden service, reached through a hidden listen bridge', async (t) => {
  const defer = teardown(t)
  const testnet = await startTestnet(10)
  defer(() => testnet.destroy())
  for (let i = 0; i < RELAYS; i++) {
    const r = await startHost(testnet, undefined, { onionRelay: { maxBytesPerSecond: Infinity } })
    defer(() => removeHome(r.home))
    defer(() => r.close())
  }

  // host A: a plain TCP echo server, exposed only as a hidden service
  const server = await tcpServer((s) => s.pipe(s))
  defer(() => server.close())
  const aHome = await mkdtemp(join(tmpdir(), 'hn-hidden-a-'))
  defer(() => removeHome(aHome))
  const a = await startHost(testnet, aHome)
  defer(() => a.close())

  let hiddenKey = ''
  await t.test('bridge expose --hidden prints a hidden key, publishes the service, and names nothing in the descriptor', async () => {
    const r = await cli(aHome, ['bridge', 'expose', `127.0.0.1:${server.port}`, '--name', 'web', '--hidden', '--json'])
    assert.equal(r.code, 0, r.stderr)
    const st = JSON.parse(r.stdout) as BridgeStatus
    assert.equal(st.hidden, true)
    assert.match(st.key ?? '', /^[0-9a-f]{64}$/)
    hiddenKey = st.key!
    const h = await until(
      () => a.host.status().hidden?.find((x) => x.app === 'bridge' && x.service === 'web' && x.published && x.intros.length === 3),
      'the hidden bridge published',
      30_000
    )
    assert.equal(h.key, hiddenKey)
    const dht = plainClient(testnet)
    defer(() => dht.destroy())
    const d = await fetchDescriptor(dht, a.host.identity!.publicKey)
    if (d.ok) assert.deepEqual(d.descriptor.bridges ?? [], [], 'the host descriptor lists no bridge')
    const found = []
    for await (const p of lookupVerified(dht, Buffer.from(st.hash!, 'hex'), { timeoutMs: 1500 })) found.push(p)
    assert.deepEqual(found, [], 'nobody finds the bridge by its service hash')
    const saved = JSON.parse(await readFile(join(aHome, 'bridges.json'), 'utf8'))
    assert.equal(saved.version, 2)
    assert.deepEqual(saved.bridges, [{ kind: 'expose', name: 'web', target: `127.0.0.1:${server.port}`, hidden: true }])
    const text = await cli(aHome, ['bridge', 'list'])
    assert.match(text.stdout, /expose web -> 127\.0\.0\.1:\d+ \(hidden service\)/)
    assert.match(text.stdout, new RegExp(`hidden key ${hiddenKey}`))
  })

  await t.test('bridge listen --hidden on another host carries TCP both ways to it', async () => {
    const bHome = await mkdtemp(join(tmpdir(), 'hn-hidden-b-'))
    defer(() => removeHome(bHome))
    const b = await startHost(testnet, bHome)
    defer(() => b.close())
    const port = await freePort()
    const r = await cli(bHome, ['bridge', 'listen', hiddenKey, '--port', String(port), '--hidden'])
    assert.equal(r.code, 0, r.stderr)
    assert.match(r.stdout, new RegExp(`^bridge 127\\.0\\.0\\.1:${port} -> hidden service ${hiddenKey}`))
    const data = randomBytes(100_000)
    const x = await exchange(port, data, 30_000)
    assert.equal(x.how, 'end')
    assert.ok(x.reply.equals(data), 'the bytes came back whole')
    const bridged = b.host.status().bridges!.find((x) => x.kind === 'listen')!
    assert.equal(bridged.hidden, true)
    assert.equal(bridged.connections, 1)
    const exposed = a.host.status().bridges!.find((x) => x.name === 'web')!
    assert.equal(exposed.connections, 1)
    assert.equal(exposed.bytesIn, data.length)
  })

  await t.test('--hidden is refused where it means nothing, or beside --anonymous, in one line', async () => {
    const home = await mkdtemp(join(tmpdir(), 'hn-hidden-cli-'))
    defer(() => removeHome(home))
    const both = await cli(home, ['bridge', 'listen', hiddenKey, '--port', String(await freePort()), '--hidden', '--anonymous'])
    assert.equal(both.code, 2)
    assert.equal(oneLine(both.stderr), 'USAGE: --anonymous, --hidden: choose one (a hidden service is always reached anonymously)')
    for (const action of ['remove', 'list']) {
      const r = await cli(home, ['bridge', action, ...(action === 'remove' ? ['web'] : []), '--hidden'])
      assert.equal(r.code, 2)
      assert.equal(
        oneLine(r.stderr),
        `USAGE: --hidden: only bridge listen (to a hidden key) and bridge expose (as a hidden service) take it, not bridge ${action}`
      )
    }
    const notKey = await cli(home, ['bridge', 'listen', 'zz', '--port', String(await freePort()), '--hidden'])
    assert.equal(notKey.code, 2)
    assert.match(oneLine(notKey.stderr), /^BAD_KEY: target/)
  })
})
