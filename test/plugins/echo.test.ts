import assert from 'node:assert/strict'
import { randomBytes } from 'node:crypto'
import { PassThrough } from 'node:stream'
import { test } from 'node:test'
import { createHarness, createPluginRuntime } from '../../host/plugins/index.ts'
import { builtApp } from '../helpers/plugin-apps.ts'
import { teardown } from '../helpers/teardown.ts'

test('echo sends back what a peer writes, through the real worker and Extism', async (t) => {
  const cleanup = teardown(t)
  const app = await builtApp('plugins', 'echo')
  const h = createHarness(app)
  cleanup(() => h.close())
  const status = await h.ready()
  assert.equal(status.state, 'running')

  const c = h.open('echo')
  await c.write('hello, plugin')
  assert.equal((await c.read(13)).toString(), 'hello, plugin')
  assert.equal(h.status().connections, 1)

  c.end()
  assert.equal((await c.readAll()).byteLength, 0)
  assert.equal(await c.closed, null, 'a clean end on both sides')
  assert.equal(h.status().bytesIn, 13)
  assert.equal(h.status().bytesOut, 13)
  assert.equal(h.status().connections, 0)
})

test('echo returns 8 MiB of random bytes intact, in order, across many connections', async (t) => {
  const cleanup = teardown(t)
  const h = createHarness(await builtApp('plugins', 'echo'))
  cleanup(() => h.close())
  await h.ready()

  await Promise.all([1, 2, 3, 4].map(async () => {
    const c = h.open('echo')
    const data = randomBytes(2 * 1024 * 1024)
    const back = c.read(data.byteLength, 30_000)
    // uneven writes: the host splits and the plugin sees whatever chunking the stream makes
    for (let off = 0; off < data.byteLength; off += 100_003) await c.write(data.subarray(off, off + 100_003))
    assert.ok((await back).equals(data))
    c.end()
    await c.closed
  }))
  assert.equal(h.status().bytesOut, 8 * 1024 * 1024)
})

test('a plain Node stream without a remote key is served too', async (t) => {
  const cleanup = teardown(t)
  const runtime = createPluginRuntime()
  cleanup(() => runtime.close())
  await runtime.add(await builtApp('plugins', 'echo'))

  const plain = new PassThrough() // the plugin sees 32 zero bytes as its peer key
  runtime.handleConnection('echo', 'echo', plain)
  plain.write('node stream')
  const got = await new Promise<Buffer>((resolve) => plain.once('data', resolve))
  assert.equal(got.toString(), 'node stream')
  plain.destroy()
})

test('a connection to an undeclared service or an unknown app is refused with the reason', async (t) => {
  const cleanup = teardown(t)
  const h = createHarness(await builtApp('plugins', 'echo'))
  cleanup(() => h.close())
  await h.ready()

  const wrong = h.open('not-a-service')
  const err = await wrong.closed
  assert.match(String(err?.message), /ECONNRESET/, 'the peer sees a reset')
  const denial = h.logs.find((e) => e.kind === 'denied')
  assert.match(String(denial?.msg), /PERMISSION_DENIED: echo: an inbound connection to undeclared service "not-a-service"/)

  const other = h.open('echo', { app: 'nobody' })
  await other.closed
  assert.ok(h.logs.some((e) => e.code === 'APP_NOT_FOUND'))
  assert.equal(h.status().state, 'running')
})

test('stopping the runtime ends open connections cleanly, not with an error', async (t) => {
  const cleanup = teardown(t)
  const h = createHarness(await builtApp('plugins', 'echo'))
  cleanup(() => h.close())
  await h.ready()
  const c = h.open('echo')
  await c.write('bye')
  assert.equal((await c.read(3)).toString(), 'bye')

  await h.close()
  assert.equal(h.status().state, 'stopped')
  assert.equal((await c.readAll()).byteLength, 0, 'the peer reads a clean end')
  c.end()
  assert.equal(await c.closed, null)
  const states = h.logs.filter((e) => e.kind === 'state').map((e) => e.state)
  assert.deepEqual(states, ['starting', 'running', 'stopped'])
})
