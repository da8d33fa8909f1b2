import test from 'node:test'
import assert from 'node:assert/strict'
import { randomBytes } from 'node:crypto'
import { mkdtemp } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { installExamples } from '../../host/demo/install-examples.ts'
import { lookupVerified } from '../../host/dns/lookup.ts'
import type { LookupPeer } from '../../host/dns/lookup.ts'
import { startTestnet } from '../helpers/testnet.ts'
import { teardown } from '../helpers/teardown.ts'
import { cli } from '../helpers/cli.ts'
import { openStream, plainClient, readBytes, removeHome, startHost } from '../helpers/hosts.ts'
import { connect } from 'node:net'
import type { Socket } from 'node:net'
import { digest, echo, exchange, freePort, sha256, tcpServer } from '../helpers/tcp.ts'
import { until } from '../helpers/plugin-apps.ts'

async function collect(it: AsyncGenerator<LookupPeer>): Promise<LookupPeer[]> {
  const out: LookupPeer[] = []
  for await (const p of it) out.push(p)
  return out
}

test('bridges carry TCP programs into and out of Hypernet, and survive a restart', async (t) => {
  const defer = teardown(t)
  const testnet = await startTestnet(10)
  defer(() => testnet.destroy())

  // host A runs the echo app and exposes TCP servers; host B opens local ports to services
  const homeA = await mkdtemp(join(tmpdir(), 'hn-bridge-a-'))
  defer(() => removeHome(homeA))
  await installExamples(homeA, ['echo'])
  let a = await startHost(testnet, homeA)
  let aOpen = true
  defer(() => (aOpen ? a.close() : undefined))
  const b = await startHost(testnet)
  defer(() => removeHome(b.home))
  defer(() => b.close())
  const echoSvc = a.host.status().services.find((s) => s.app === 'echo')!

  const digestServer = await tcpServer(digest)
  defer(() => digestServer.close())

  await t.test('a TCP program talks to a plugin through bridge listen', async () => {
    const port = await freePort()
    const r = await cli(b.home, ['bridge', 'listen', echoSvc.hash, '--port', String(port), '--json'])
    assert.equal(r.code, 0, r.stderr)
    assert.equal(JSON.parse(r.stdout).daemon, 'applied')
    const x = await exchange(port, Buffer.from('hello through a bridge\n'))
    assert.equal(x.reply.toString(), 'hello through a bridge\n')
    assert.equal(x.how, 'end', 'the plugin end reaches the TCP program as a clean end')
  })

  await t.test('a bridge on the host that runs the service reaches it by hash (no other host vends it)', async () => {
    const port = await freePort()
    const r = await cli(a.home, ['bridge', 'listen', echoSvc.hash, '--port', String(port), '--json'])
    assert.equal(r.code, 0, r.stderr)
    const x = await exchange(port, Buffer.from('hello from my own host\n'))
    assert.equal(x.reply.toString(), 'hello from my own host\n')
    const removed = await cli(a.home, ['bridge', 'remove', String(port)])
    assert.equal(removed.code, 0, removed.stderr)
  })

  let web = { hash: '', key: '' }
  await t.test('a plain HyperDHT client talks to a TCP server through bridge expose, found by a verified lookup', async () => {
    const r = await cli(a.home, ['bridge', 'expose', `127.0.0.1:${digestServer.port}`, '--name', 'web', '--json'])
    assert.equal(r.code, 0, r.stderr)
    const st = JSON.parse(r.stdout)
    web = { hash: st.hash, key: st.key }
    assert.match(web.hash, /^[0-9a-f]{64}$/)
    const found = await collect(lookupVerified(b.host.dht!, Buffer.from(web.hash, 'hex'), { timeoutMs: 5000 }))
    assert.equal(found.length, 1)
    assert.equal(found[0].verified, true)
    assert.equal(found[0].kind, 'bridge')
    assert.equal(found[0].serviceKey, web.key)
    assert.equal(found[0].hostKey, a.host.status().host.key)
    // the CLI names what it reached: the bridge, not an app with an empty version
    const viaCli = await cli(b.home, ['connect', web.hash, '--timeout', '10'], { answer: 'abc' })
    assert.equal(viaCli.code, 0, viaCli.stderr)
    assert.match(viaCli.stderr, /connected to bridge web on host [0-9a-f]{16}/)
    assert.equal(viaCli.stdout, `sha256:${sha256(Buffer.from('abc\n'))} 4`)
    const dht = plainClient(testnet)
    try {
      const s = await openStream(dht, web.key)
      const data = randomBytes(256 * 1024)
      s.end(data)
      const reply = await readBytes(s, 200)
      assert.equal(reply.toString(), `sha256:${sha256(data)} ${data.length}`)
    } finally {
      await dht.destroy()
    }
  })

  await t.test('bytes arrive intact both ways through listen and expose bridges, with half-close', async () => {
    const port = await freePort()
    assert.equal((await cli(b.home, ['bridge', 'listen', web.hash, '--port', String(port)])).code, 0)
    const data = randomBytes(4 * 1024 * 1024)
    const x = await exchange(port, data, 30_000)
    assert.equal(x.reply.toString(), `sha256:${sha256(data)} ${data.length}`)
    assert.equal(x.how, 'end')
  })

  await t.test('a slow reader slows the writer: the chain stalls with bounded bytes in flight, then all arrive', async () => {
    const held: Socket[] = []
    const slow = await tcpServer((s) => {
      s.pause()
      held.push(s)
    })
    defer(() => slow.close())
    assert.equal((await cli(a.home, ['bridge', 'expose', `127.0.0.1:${slow.port}`, '--name', 'slow'])).code, 0)
    const slowHash = a.host.status().bridges!.find((x) => x.name === 'slow')!.hash!
    const port = await freePort()
    assert.equal((await cli(b.home, ['bridge', 'listen', slowHash, '--port', String(port)])).code, 0)
    const c = connect({ host: '127.0.0.1', port })
    c.on('error', () => {})
    await new Promise((r) => c.once('connect', r))
    const chunk = randomBytes(64 * 1024)
    const cap = 512 * 1024 * 1024
    let queued = 0
    // write whenever the socket drains; stop when a whole second passes without a drain
    await new Promise<void>((resolve) => {
      let idle: NodeJS.Timeout
      const pump = () => {
        clearTimeout(idle)
        while (queued < cap && c.write(chunk)) queued += chunk.length
        if (queued < cap) queued += chunk.length
        idle = setTimeout(resolve, 1000)
      }
      c.on('drain', pump)
      pump()
    })
    const accepted = c.bytesWritten - c.writableLength
    t.diagnostic(`stalled after ${(accepted / 1048576).toFixed(1)} MiB accepted by the kernel of ${(queued / 1048576).toFixed(1)} MiB queued`)
    assert.ok(queued < cap, 'the writer stalled before the cap')
    assert.ok(accepted < 64 * 1024 * 1024, 'bytes in flight stay bounded')
    // the reader wakes up: every byte queued arrives
    assert.equal(held.length, 1)
    let got = 0
    held[0].on('data', (d: Buffer) => (got += d.length))
    held[0].resume()
    c.end()
    await new Promise<void>((resolve) => held[0].once('end', () => resolve()))
    assert.equal(got, queued)
    c.destroy()
  })

  await t.test('a plain client that ignores flow control is cut off past a bound, not buffered without end', async () => {
    const slowHash = a.host.status().bridges!.find((x) => x.name === 'slow')!.hash!
    const slowKey = a.host.status().bridges!.find((x) => x.name === 'slow')!.key!
    assert.ok(slowHash)
    const dht = plainClient(testnet)
    try {
      const s = await openStream(dht, slowKey)
      const closed = new Promise<string>((resolve) => {
        s.on('error', (err: Error) => resolve(`error: ${err.message}`))
        s.on('close', () => resolve('close'))
      })
      const chunk = Buffer.alloc(64 * 1024, 1)
      // a bounded loop: at most 128 MiB, or until the stream is gone
      for (let i = 0; i < 2048 && !s.destroyed; i++) {
        if (!s.write(chunk)) await new Promise((r) => setTimeout(r, 1))
      }
      assert.notEqual(await closed, 'end', 'the connection fails rather than ending cleanly')
      assert.ok(s.destroyed)
    } finally {
      await dht.destroy()
    }
  })

  await t.test('errors propagate: a TCP reset reaches the peer as an error, an unreachable service as a TCP reset', async () => {
    const resetting = await tcpServer((s) => s.once('data', () => s.resetAndDestroy()))
    defer(() => resetting.close())
    assert.equal((await cli(a.home, ['bridge', 'expose', `127.0.0.1:${resetting.port}`, '--name', 'resets'])).code, 0)
    const resetKey = a.host.status().bridges!.find((x) => x.name === 'resets')!.key!
    const dht = plainClient(testnet)
    try {
      const s = await openStream(dht, resetKey)
      const how = new Promise<string>((resolve) => {
        s.on('end', () => resolve('end'))
        s.on('close', () => resolve('close without end'))
      })
      s.on('error', () => {})
      s.write('trigger')
      assert.equal(await how, 'close without end')
    } finally {
      await dht.destroy()
    }
    // a listen bridge to a TCP server that is gone: the TCP program gets a reset
    const gone = await tcpServer(echo)
    const gonePort = gone.port
    await gone.close()
    assert.equal((await cli(a.home, ['bridge', 'expose', `127.0.0.1:${gonePort}`, '--name', 'gone'])).code, 0)
    const goneHash = a.host.status().bridges!.find((x) => x.name === 'gone')!.hash!
    const port = await freePort()
    assert.equal((await cli(b.home, ['bridge', 'listen', goneHash, '--port', String(port)])).code, 0)
    const x = await exchange(port, Buffer.from('anyone?'))
    assert.equal(x.how, 'ECONNRESET')
    // a listen bridge to a key nobody listens on: also a reset
    const port2 = await freePort()
    assert.equal((await cli(b.home, ['bridge', 'listen', 'aa'.repeat(32), '--port', String(port2)])).code, 0)
    const y = await exchange(port2, Buffer.from('anyone?'), 30_000)
    assert.equal(y.how, 'ECONNRESET')
    assert.equal((await cli(b.home, ['bridge', 'remove', String(port2)])).code, 0)
  })

  await t.test('many connections run at once, and status shows each bridge with its connections, bytes and paths', async () => {
    // hold every answer until status has been read, so every connection is open at once
    // (a fixed delay raced the connection setup on a slow or loaded machine)
    let release = () => {}
    const released = new Promise<void>((resolve) => (release = resolve))
    const echoServer = await tcpServer((s) => {
      const got: Buffer[] = []
      s.on('data', (d: Buffer) => got.push(d))
      s.on('end', () => void released.then(() => s.end(Buffer.concat(got))))
    })
    defer(() => echoServer.close())
    defer(() => release())
    assert.equal((await cli(a.home, ['bridge', 'expose', `127.0.0.1:${echoServer.port}`, '--name', 'many'])).code, 0)
    const manyHash = a.host.status().bridges!.find((x) => x.name === 'many')!.hash!
    const port = await freePort()
    assert.equal((await cli(b.home, ['bridge', 'listen', manyHash, '--port', String(port)])).code, 0)
    const n = 40
    const payloads = Array.from({ length: n }, () => randomBytes(32 * 1024))
    const runs = payloads.map((p) => exchange(port, p, 30_000))
    // while the answers are held, every connection is open on both bridges
    await until(() => a.host.status().bridges!.find((x) => x.name === 'many')!.open.length === n, `${n} bridge connections open at once`, 30_000)
    const st = await cli(a.home, ['status', '--json'])
    const many = JSON.parse(st.stdout).bridges.find((x: { name: string }) => x.name === 'many')
    assert.equal(many.open.length, n)
    for (const c of many.open) assert.equal(c.path, 'direct')
    const text = await cli(b.home, ['status'])
    assert.match(text.stdout, /bridges\n/)
    assert.match(text.stdout, new RegExp(`listen 127\\.0\\.0\\.1:${port} -> ${manyHash}`))
    release()
    const results = await Promise.all(runs)
    for (let i = 0; i < n; i++) {
      assert.equal(results[i].how, 'end')
      assert.ok(results[i].reply.equals(payloads[i]), `connection ${i} got its own bytes back`)
    }
    const after = a.host.status().bridges!.find((x) => x.name === 'many')!
    assert.equal(after.connections, n)
    assert.equal(after.bytesIn, n * 32 * 1024)
    assert.equal(after.bytesOut, n * 32 * 1024)
  })

  await t.test('exposed services survive a daemon restart at the same key, and can be removed', async () => {
    const before = a.host.status().bridges!.find((x) => x.name === 'web')!
    await a.close()
    a = await startHost(testnet, homeA)
    const again = a.host.status().bridges!.find((x) => x.name === 'web')!
    assert.equal(again.key, before.key)
    assert.equal(again.state, 'running')
    const list = await cli(a.home, ['bridge', 'list', '--json'])
    assert.deepEqual(
      JSON.parse(list.stdout)
        .map((x: { id: string }) => x.id)
        .sort(),
      ['gone', 'many', 'resets', 'slow', 'web']
    )
    const dht = plainClient(testnet)
    try {
      const s = await openStream(dht, before.key!)
      s.end('after a restart')
      assert.match((await readBytes(s, 10)).toString(), /^sha256:/)
    } finally {
      await dht.destroy()
    }
    const r = await cli(a.home, ['bridge', 'remove', 'web'])
    assert.equal(r.code, 0, r.stderr)
    assert.match(r.stdout, /removed bridge web/)
    const found = await collect(lookupVerified(b.host.dht!, Buffer.from(web.hash, 'hex'), { timeoutMs: 3000 }))
    assert.equal(found.length, 0, 'a removed service is withdrawn from lookups')
    await a.close()
    aOpen = false
  })
})
