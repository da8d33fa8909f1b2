import test from 'node:test'
import assert from 'node:assert/strict'
import { copyFile, mkdtemp } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { PassThrough } from 'node:stream'
import DHT from 'hyperdht'
import { runCli } from '../../host/cli/main.ts'
import { exampleFiles, installExamples } from '../../host/demo/install-examples.ts'
import { lookupVerified } from '../../host/dns/lookup.ts'
import type { LookupPeer } from '../../host/dns/lookup.ts'
import { startTestnet } from '../helpers/testnet.ts'
import { teardown } from '../helpers/teardown.ts'
import { cli } from '../helpers/cli.ts'
import { frame, openStream, plainClient, readBytes, readFrame, removeHome, startHost } from '../helpers/hosts.ts'
import type { TestHost } from '../helpers/hosts.ts'

async function collect(it: AsyncGenerator<LookupPeer>): Promise<LookupPeer[]> {
  const out: LookupPeer[] = []
  for await (const p of it) out.push(p)
  return out
}

function service(h: TestHost, app: string) {
  const s = h.host.status().services.find((x) => x.app === app)
  assert.ok(s, `${app} is advertised`)
  return s
}

test('two hosts on a local DHT: lookup, connect, profile across a restart, install and uninstall live', async (t) => {
  const defer = teardown(t)
  const testnet = await startTestnet(10)
  defer(() => testnet.destroy())

  // host A runs echo and profile
  const home = await mkdtemp(join(tmpdir(), 'hn-a-'))
  defer(() => removeHome(home))
  await installExamples(home, ['echo', 'profile'])
  let a = await startHost(testnet, home)
  let aClosed = false
  defer(() => (aClosed ? undefined : a.close()))
  const echo = service(a, 'echo')
  const profile = service(a, 'profile')
  const echoCode = a.host.status().apps.find((x) => x.name === 'echo')!.codeHash

  // host B, the other side
  const b = await startHost(testnet)
  defer(() => removeHome(b.home))
  defer(() => b.close())

  await t.test('lookup by service hash and by code hash finds A, verified', async () => {
    const bySvc = await collect(lookupVerified(b.host.dht!, Buffer.from(echo.hash, 'hex'), { timeoutMs: 5000 }))
    assert.equal(bySvc.length, 1)
    assert.equal(bySvc[0].hostKey, a.host.status().host.key)
    assert.equal(bySvc[0].serviceKey, echo.key)
    assert.equal(bySvc[0].app, 'echo')
    assert.equal(bySvc[0].port, 7)
    assert.equal(bySvc[0].verified, true)
    const byCode = await collect(lookupVerified(b.host.dht!, Buffer.from(echoCode, 'hex'), { timeoutMs: 5000 }))
    assert.deepEqual(
      byCode.map((p) => p.serviceHash),
      [echo.hash]
    )
    // the CLI, through B's daemon socket
    const r = await cli(b.home, ['lookup', echo.hash, '--json', '--timeout', '5'])
    assert.equal(r.code, 0, r.stderr)
    assert.equal(JSON.parse(r.stdout.trim().split('\n')[0]).serviceKey, echo.key)
  })

  await t.test('a plain HyperDHT client talks to the echo service by its key', async () => {
    const dht = plainClient(testnet)
    try {
      const s = await openStream(dht, echo.key)
      s.write(Buffer.from('hello, plain client'))
      assert.equal((await readBytes(s, 19)).toString(), 'hello, plain client')
      s.destroy()
    } finally {
      await dht.destroy()
    }
  })

  await t.test('hypernet-host connect joins a service to stdin/stdout', async () => {
    const stdin = new PassThrough()
    const stdout = new PassThrough()
    const stderr = new PassThrough()
    let out = ''
    stdout.on('data', (d) => (out += d))
    stdin.end('ping over connect\n')
    const code = await runCli(['--home', b.home, 'connect', echo.hash, '--bootstrap', `127.0.0.1:${testnet.bootstrap[0].port}`], {
      stdin,
      stdout,
      stderr,
      interactive: false
    })
    assert.equal(code, 0)
    assert.equal(out, 'ping over connect\n')
  })

  const alice = DHT.keyPair()
  await t.test('profile registers a client by its key and returns it on the next connection', async () => {
    const dht = plainClient(testnet)
    try {
      const s1 = await openStream(dht, profile.key, alice)
      assert.equal((await readFrame(s1)).type, 0x82, 'UNKNOWN on first contact')
      s1.write(frame(0x01, '{"name":"alice"}'))
      assert.equal((await readFrame(s1)).type, 0x83, 'SAVED')
      s1.destroy()
      const s2 = await openStream(dht, profile.key, alice)
      const f = await readFrame(s2)
      assert.equal(f.type, 0x81)
      assert.equal(f.payload.toString(), '{"name":"alice"}')
      s2.destroy()
      // another client is someone else
      const s3 = await openStream(dht, profile.key, DHT.keyPair())
      assert.equal((await readFrame(s3)).type, 0x82)
      s3.destroy()
    } finally {
      await dht.destroy()
    }
  })

  await t.test('garbage from one client affects only that connection', async () => {
    const dht = plainClient(testnet)
    try {
      const bad = await openStream(dht, profile.key)
      await readFrame(bad)
      bad.write(Buffer.from([0x7e, 0xff, 0xff, 1, 2, 3]))
      assert.equal((await readFrame(bad)).type, 0xff, 'ERROR answers garbage')
      const good = await openStream(dht, profile.key, alice)
      assert.equal((await readFrame(good)).payload.toString(), '{"name":"alice"}')
      good.destroy()
      bad.destroy()
    } finally {
      await dht.destroy()
    }
  })

  await t.test('after A restarts, its services are back at the same keys and profile still knows alice', async () => {
    await a.close()
    a = await startHost(testnet, home)
    assert.equal(service(a, 'echo').key, echo.key)
    assert.equal(service(a, 'profile').key, profile.key)
    const found = await collect(lookupVerified(b.host.dht!, Buffer.from(profile.hash, 'hex'), { timeoutMs: 5000 }))
    assert.equal(found.length, 1)
    const dht = plainClient(testnet)
    try {
      const s = await openStream(dht, profile.key, alice)
      assert.equal((await readFrame(s)).payload.toString(), '{"name":"alice"}')
      s.destroy()
    } finally {
      await dht.destroy()
    }
  })

  await t.test('install and uninstall in a running daemon change what lookups return', async () => {
    // sign chat with a key of B's home and install it through the CLI: the daemon reloads
    assert.equal((await cli(b.home, ['keys', 'generate'])).code, 0)
    const wasm = `${b.home}/chat.wasm`
    await copyFile(exampleFiles('chat').wasm, wasm)
    assert.equal((await cli(b.home, ['sign', wasm, '-m', exampleFiles('chat').draft])).code, 0)
    const inst = await cli(b.home, ['install', wasm, '--yes', '--json'])
    assert.equal(inst.code, 0, inst.stderr)
    assert.equal(JSON.parse(inst.stdout).daemon, 'applied')
    const chat = service(b, 'chat')
    assert.equal((await collect(lookupVerified(a.host.dht!, Buffer.from(chat.hash, 'hex'), { timeoutMs: 5000 }))).length, 1)
    const un = await cli(b.home, ['uninstall', 'chat'])
    assert.equal(un.code, 0, un.stderr)
    assert.equal(b.host.status().services.length, 0)
    assert.equal((await collect(lookupVerified(a.host.dht!, Buffer.from(chat.hash, 'hex'), { timeoutMs: 5000 }))).length, 0)
  })

  await t.test('when A disappears, lookups stop returning it and clients get a clean error', async () => {
    await a.close()
    aClosed = true
    const found = await collect(lookupVerified(b.host.dht!, Buffer.from(echo.hash, 'hex'), { timeoutMs: 5000 }))
    assert.equal(found.length, 0)
    const r = await cli(b.home, ['connect', echo.key, '--timeout', '3', '--bootstrap', `127.0.0.1:${testnet.bootstrap[0].port}`])
    assert.equal(r.code, 1)
    assert.match(r.stderr, /^CONNECTION_FAILED: could not connect to service key/)
  })
})
