import test from 'node:test'
import assert from 'node:assert/strict'
import { mkdtemp, readFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { installExamples } from '../../host/demo/install-examples.ts'
import { startTestnet } from '../helpers/testnet.ts'
import { teardown } from '../helpers/teardown.ts'
import { cli, oneLine } from '../helpers/cli.ts'
import { removeHome, startHost } from '../helpers/hosts.ts'
import { freePort, tcpServer, echo } from '../helpers/tcp.ts'

const HASH = 'ab'.repeat(32)

test('bad bridge input is refused with one line naming the field, without a daemon', async (t) => {
  const defer = teardown(t)
  const home = await mkdtemp(join(tmpdir(), 'hn-bridge-in-'))
  defer(() => removeHome(home))
  const cases: Array<[string[], number, RegExp]> = [
    [['bridge', 'expose', 'localhost', '--name', 'web'], 2, /^USAGE: address: expected host:port \(e\.g\. 127\.0\.0\.1:8080\), got "localhost"$/],
    [['bridge', 'expose', '127.0.0.1:99999', '--name', 'web'], 2, /^USAGE: address: expected a TCP port from 1 to 65535, got "99999"$/],
    [['bridge', 'expose', 'bad host!:80', '--name', 'web'], 2, /^USAGE: address: expected a host name or IP address, got "bad host!"$/],
    [['bridge', 'expose', '127.0.0.1:3000'], 2, /^USAGE: bridge expose: --name is required: the service name to publish it under \(e\.g\. --name web\)$/],
    [['bridge', 'expose', '127.0.0.1:3000', '--name', 'Web Site'], 2, /^USAGE: --name: expected a service name .*, got "Web Site"$/],
    [['bridge', 'listen', HASH], 2, /^USAGE: bridge listen: --port is required: the local TCP port to open \(e\.g\. --port 8080\)$/],
    [['bridge', 'listen', HASH, '--port', 'http'], 2, /^USAGE: --port: expected a TCP port from 1 to 65535, got "http"$/],
    [['bridge', 'listen', 'not-a-key', '--port', '8080'], 2, /^BAD_HASH: target: expected a 32-byte hash as 64 hex or 52 z32 characters, got "not-a-key"$/],
    [['bridge', 'listen', '--port', '8080'], 2, /^USAGE: bridge listen: expected a service key or service hash$/],
    [['bridge', 'remove', 'nothing-here'], 2, /^BRIDGE_NOT_FOUND: no bridge matches "nothing-here"/],
    [['bridge', 'remove'], 2, /^USAGE: bridge remove: expected a bridge name/]
  ]
  for (const [argv, code, message] of cases) {
    const r = await cli(home, argv)
    assert.equal(r.code, code, `${argv.join(' ')}: ${r.stderr}`)
    assert.match(oneLine(r.stderr), message, argv.join(' '))
  }

  // a port something already listens on
  const busy = await tcpServer(echo)
  defer(() => busy.close())
  const inUse = await cli(home, ['bridge', 'listen', HASH, '--port', String(busy.port)])
  assert.equal(inUse.code, 2)
  assert.equal(oneLine(inUse.stderr), `ADDRESS_IN_USE: --port: expected a free local TCP address, 127.0.0.1:${busy.port} is already in use`)

  // saved for the next start; a second bridge with the same name or port is a clash
  const port = await freePort()
  assert.equal((await cli(home, ['bridge', 'expose', '127.0.0.1:3000', '--name', 'web'])).code, 0)
  assert.equal((await cli(home, ['bridge', 'listen', HASH, '--port', String(port)])).code, 0)
  const clash = await cli(home, ['bridge', 'expose', '127.0.0.1:3001', '--name', 'web'])
  assert.equal(clash.code, 2)
  assert.equal(oneLine(clash.stderr), 'NAME_TAKEN: --name: expected a service name not used on this host, "web" is taken by the bridge exposing 127.0.0.1:3000')
  const again = await cli(home, ['bridge', 'listen', HASH, '--port', String(port)])
  assert.equal(again.code, 2)
  assert.match(
    oneLine(again.stderr),
    new RegExp(`^ADDRESS_IN_USE: --port: expected a free local TCP address, 127\\.0\\.0\\.1:${port} is already in use by the bridge to ${HASH}$`)
  )
  const saved = JSON.parse(await readFile(join(home, 'bridges.json'), 'utf8'))
  assert.deepEqual(saved, {
    version: 1,
    bridges: [
      { kind: 'expose', name: 'web', target: '127.0.0.1:3000' },
      { kind: 'listen', target: HASH, host: '127.0.0.1', port }
    ]
  })
  const list = await cli(home, ['bridge', 'list'])
  assert.match(list.stdout, /expose web -> 127\.0\.0\.1:3000/)
  assert.match(list.stdout, /no daemon is running/)
  assert.equal((await cli(home, ['bridge', 'remove', String(port)])).code, 0)
  assert.equal((await cli(home, ['bridge', 'remove', 'web'])).code, 0)
  assert.deepEqual(JSON.parse(await readFile(join(home, 'bridges.json'), 'utf8')).bridges, [])
})

test('a running daemon refuses a taken port or a name its apps use, and saves nothing', async (t) => {
  const defer = teardown(t)
  const testnet = await startTestnet(10)
  defer(() => testnet.destroy())
  const home = await mkdtemp(join(tmpdir(), 'hn-bridge-in-d-'))
  defer(() => removeHome(home))
  await installExamples(home, ['echo'])
  const h = await startHost(testnet, home)
  defer(() => h.close())
  const busy = await tcpServer(echo)
  defer(() => busy.close())

  const inUse = await cli(home, ['bridge', 'listen', HASH, '--port', String(busy.port)])
  assert.equal(inUse.code, 2)
  assert.equal(oneLine(inUse.stderr), `ADDRESS_IN_USE: --port: expected a free local TCP address, 127.0.0.1:${busy.port} is already in use`)
  const clash = await cli(home, ['bridge', 'expose', `127.0.0.1:${busy.port}`, '--name', 'echo'])
  assert.equal(clash.code, 2)
  assert.equal(oneLine(clash.stderr), 'NAME_TAKEN: --name: expected a service name not used on this host, "echo" is taken by a service of app echo')
  const unknown = await cli(home, ['bridge', 'remove', 'web'])
  assert.equal(unknown.code, 2)
  assert.match(oneLine(unknown.stderr), /^BRIDGE_NOT_FOUND: no bridge matches "web"/)
  assert.deepEqual(h.host.status().bridges, [])
  const list = await cli(home, ['bridge', 'list', '--json'])
  assert.deepEqual(JSON.parse(list.stdout), [])
})
