import test from 'node:test'
import assert from 'node:assert/strict'
import { randomBytes } from 'node:crypto'
import { mkdtemp, readFile, writeFile } from 'node:fs/promises'
import { connect } from 'node:net'
import { Duplex } from 'node:stream'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { BridgeStatus } from '../../host/bridge/bridge-manager.ts'
import { BridgeStore, validateBridge } from '../../host/bridge/bridge-store.ts'
import { spliceStreams } from '../../host/bridge/splice-streams.ts'
import { installExamples } from '../../host/demo/install-examples.ts'
import { formatId } from '../../host/encoding/ids.ts'
import { findOnionRelays } from '../../host/onion/index.ts'
import { cli, oneLine } from '../helpers/cli.ts'
import { startEchoHost } from '../helpers/onion.ts'
import { removeHome, startHost } from '../helpers/hosts.ts'
import type { TestHost } from '../helpers/hosts.ts'
import { until } from '../helpers/plugin-apps.ts'
import { exchange, freePort, tcpServer } from '../helpers/tcp.ts'
import { teardown } from '../helpers/teardown.ts'
import { startTestnet } from '../helpers/testnet.ts'

const RELAYS = 5
const HASH = 'ab'.repeat(32)

test('bridge listen --anonymous carries TCP programs through onion circuits', async (t) => {
  const defer = teardown(t)
  const testnet = await startTestnet(10)
  defer(() => testnet.destroy())

  // the destination: a host running echo, whose view of each peer is recorded
  const { echo, peersSeen } = await startEchoHost(testnet, defer)

  // the bridging host runs echo too: it vends the same service hash, and must not pick itself
  const bHome = await mkdtemp(join(tmpdir(), 'hn-anon-b-'))
  defer(() => removeHome(bHome))
  await installExamples(bHome, ['echo'])
  const b = await startHost(testnet, bHome)
  defer(() => b.close())
  const port = await freePort()
  const bridgeOf = (): BridgeStatus => b.host.status().bridges!.find((x) => x.local === `127.0.0.1:${port}`)!

  await t.test('bridge listen --anonymous is applied by the daemon and says so', async () => {
    const r = await cli(b.home, ['bridge', 'listen', echo.hash, '--port', String(port), '--anonymous', '--json'])
    assert.equal(r.code, 0, r.stderr)
    const st = JSON.parse(r.stdout)
    assert.equal(st.daemon, 'applied')
    assert.equal(st.anonymous, true)
    const saved = JSON.parse(await readFile(join(b.home, 'bridges.json'), 'utf8'))
    assert.deepEqual(saved.bridges, [{ kind: 'listen', target: echo.hash, host: '127.0.0.1', port, anonymous: true }])
  })

  await t.test('with no onion relays known, a TCP connection is reset and the ledger says NO_RELAYS', async () => {
    const x = await exchange(port, Buffer.from('nobody to route through'))
    assert.equal(x.how, 'ECONNRESET')
    assert.equal(x.reply.length, 0)
    const st = bridgeOf()
    assert.equal(st.failed, 1)
    assert.match(st.lastError ?? '', /^NO_RELAYS: expected at least 3 onion relays on distinct hosts, found 0 usable/)
    assert.equal(peersSeen.length, 0, 'never a direct connection instead')
  })

  const relays: TestHost[] = await Promise.all(
    Array.from({ length: RELAYS }, () => startHost(testnet, undefined, { onionRelay: { maxBytesPerSecond: Infinity } }))
  )
  for (const r of relays) {
    defer(() => removeHome(r.home))
    defer(() => r.close())
  }
  await until(async () => (await findOnionRelays(b.host.dht!, { timeoutMs: 2000 })).length === RELAYS, 'every relay advertised', 15_000)

  await t.test("a TCP program's bytes come back through a circuit, and the echo host never sees the bridging host", async () => {
    const data = randomBytes(64 * 1024)
    const x = await exchange(port, data)
    assert.equal(x.how, 'end', 'half-close: the TCP FIN reaches echo, whose end comes back as a clean end')
    assert.ok(x.reply.equals(data), `echoed ${x.reply.length}/${data.length} bytes intact`)
    assert.equal(peersSeen.length, 1)
    const bStatus = b.host.status()
    const bKeys = [bStatus.host.key, ...bStatus.services.map((s) => s.key), ...relays.map((r) => formatId(r.host.identity!.publicKey))]
    assert.ok(!bKeys.includes(peersSeen[0].key), "neither the bridging host's key, its service keys, nor a relay host's key")
    const bAddress = b.host.dht!.address()
    assert.notEqual(peersSeen[0].address, `${bAddress.host}:${bAddress.port}`, "the echo host never sees the bridging host's address")
  })

  await t.test('status shows an open connection going through a three-relay circuit', async () => {
    const s = connect({ host: '127.0.0.1', port, allowHalfOpen: true })
    defer(() => s.destroy())
    s.write('open for a while')
    await new Promise<void>((resolve) => s.once('data', () => resolve()))
    const open = bridgeOf().open
    assert.equal(open.length, 1)
    assert.equal(open[0].path, 'onion')
    assert.equal(open[0].peer, echo.key, "the peer is the echo host's service key: the bridge skipped its own")
    assert.equal(new Set(open[0].circuit).size, 3)
    const relayKeys = relays.map((r) => formatId(r.host.onionRelay!.publicKey))
    for (const k of open[0].circuit!) assert.ok(relayKeys.includes(k))
    s.end()
    await until(() => bridgeOf().open.length === 0, 'the connection closed')
  })

  await t.test('bridge list shows the bridge as anonymous, for people and as JSON', async () => {
    const json = await cli(b.home, ['bridge', 'list', '--json'])
    assert.equal(json.code, 0, json.stderr)
    const [st] = JSON.parse(json.stdout) as BridgeStatus[]
    assert.equal(st.anonymous, true)
    assert.equal(st.connections, 2)
    assert.equal(st.failed, 1)
    const human = await cli(b.home, ['bridge', 'list'])
    assert.match(human.stdout, new RegExp(`listen 127\\.0\\.0\\.1:${port} -> ${echo.hash} \\(anonymous: onion circuits\\)`))
  })
})

test('--anonymous anywhere but bridge listen is refused with one line', async (t) => {
  const defer = teardown(t)
  const home = await mkdtemp(join(tmpdir(), 'hn-anon-in-'))
  defer(() => removeHome(home))
  for (const argv of [
    ['bridge', 'expose', '127.0.0.1:3000', '--name', 'web', '--anonymous'],
    ['bridge', 'remove', 'web', '--anonymous'],
    ['bridge', 'list', '--anonymous']
  ]) {
    const r = await cli(home, argv)
    assert.equal(r.code, 2, `${argv.join(' ')}: ${r.stderr}`)
    assert.equal(oneLine(r.stderr), `USAGE: --anonymous: only bridge listen goes through onion circuits, not bridge ${argv[1]}`)
  }
  // the daemon's bridge.add checks the same, whoever calls it
  assert.throws(() => validateBridge({ kind: 'expose', name: 'web', target: '127.0.0.1:3000', anonymous: true }), { code: 'USAGE' })
  assert.throws(() => validateBridge({ kind: 'listen', target: HASH, port: 8080, anonymous: 'yes' }), {
    code: 'USAGE',
    message: 'USAGE: --anonymous: expected true or false, got "yes"'
  })
})

test('a bridge file from before --anonymous loads with plain bridges, and only anonymous ones carry the field', async (t) => {
  const defer = teardown(t)
  const home = await mkdtemp(join(tmpdir(), 'hn-anon-store-'))
  defer(() => removeHome(home))
  const file = join(home, 'bridges.json')
  await writeFile(file, JSON.stringify({ version: 1, bridges: [{ kind: 'listen', target: HASH, host: '127.0.0.1', port: 8080 }] }))
  const store = new BridgeStore(file)
  assert.deepEqual(await store.read(), [{ kind: 'listen', target: HASH, host: '127.0.0.1', port: 8080, anonymous: false, hidden: false }])

  const port = await freePort()
  const r = await cli(home, ['bridge', 'listen', HASH, '--port', String(port), '--anonymous'])
  assert.equal(r.code, 0, r.stderr)
  assert.match(r.stdout, new RegExp(`^bridge 127\\.0\\.0\\.1:${port} -> service ${HASH} anonymously`))
  const saved = JSON.parse(await readFile(file, 'utf8'))
  assert.deepEqual(saved.bridges, [
    { kind: 'listen', target: HASH, host: '127.0.0.1', port: 8080 },
    { kind: 'listen', target: HASH, host: '127.0.0.1', port, anonymous: true }
  ])
  // a daemon from before --anonymous refuses version 2 instead of dialing in the open
  assert.equal(saved.version, 2)
  const list = await cli(home, ['bridge', 'list', '--json'])
  assert.deepEqual(
    (JSON.parse(list.stdout) as BridgeStatus[]).map((b) => b.anonymous),
    [false, true]
  )
  assert.equal((await cli(home, ['bridge', 'remove', String(port)])).code, 0)
  assert.equal(JSON.parse(await readFile(file, 'utf8')).version, 1, 'back to version 1 with no anonymous bridge left')
  await writeFile(file, JSON.stringify({ version: 3, bridges: [] }))
  await assert.rejects(store.read(), { code: 'INTERNAL', message: /version 3 is unknown \(expected 1 or 2\)/ })
})

/** Two plain Duplexes joined back to back (what one writes, the other reads), half-open allowed, with no datagrams. */
function duplexPair(): [Duplex, Duplex] {
  const make = (): Duplex & { other?: Duplex } => {
    const d: Duplex & { other?: Duplex } = new Duplex({
      allowHalfOpen: true,
      read() {},
      write(chunk, _enc, cb) {
        d.other!.push(chunk)
        cb()
      },
      final(cb) {
        d.other!.push(null)
        cb()
      }
    })
    return d
  }
  const a = make()
  const b = make()
  a.other = b
  b.other = a
  return [a, b]
}

test('a plain Duplex (as an onion stream is) splices to TCP with half-close both ways', async (t) => {
  const defer = teardown(t)
  const [peer, service] = duplexPair()
  const got: Buffer[] = []
  service.on('data', (d: Buffer) => got.push(d))
  const serviceDone = new Promise<void>((resolve) => service.once('end', () => resolve()))

  const server = await tcpServer((s) => void spliceStreams(s, peer, { bytesIn: 0, bytesOut: 0 }))
  defer(() => server.close())
  const client = connect({ host: '127.0.0.1', port: server.port, allowHalfOpen: true })
  defer(() => client.destroy())
  const reply: Buffer[] = []
  client.on('data', (d: Buffer) => reply.push(d))
  const clientEnded = new Promise<void>((resolve) => client.once('end', () => resolve()))
  await new Promise<void>((resolve) => client.once('connect', () => resolve()))

  // the service speaks and ends first; the TCP program still sends after reading that end
  service.end('from the service')
  await clientEnded
  assert.equal(Buffer.concat(reply).toString(), 'from the service')
  client.end('from the program, after the service ended')
  await serviceDone
  assert.equal(Buffer.concat(got).toString(), 'from the program, after the service ended')
})
