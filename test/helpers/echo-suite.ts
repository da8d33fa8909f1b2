import assert from 'node:assert/strict'
import { randomBytes } from 'node:crypto'
import { PassThrough } from 'node:stream'
import { test } from 'node:test'
import { createDuplexPair, createHarness, createPluginRuntime } from '../../host/plugins/index.ts'
import type { RunnableApp } from '../../host/plugins/index.ts'
import { sleep, until } from './plugin-apps.ts'
import { teardown } from './teardown.ts'

const MiB = 1024 * 1024

/**
 * The echo test, for any echo plugin whatever its language (the AssemblyScript example and the
 * C and Rust ones): each app serves the service "echo". `load` is called once per test; `skip`
 * (a reason) skips every test with that one line.
 */
export function echoTests(label: string, load: () => Promise<RunnableApp>, opts: { skip?: string | false } = {}): void {
  const skip = opts.skip || undefined

  test(`${label}: sends back what a peer writes, through the real worker and Extism`, { skip }, async (t) => {
    const cleanup = teardown(t)
    const h = createHarness(await load())
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

  test(`${label}: returns 8 MiB of random bytes intact, in order, across many connections`, { skip }, async (t) => {
    const cleanup = teardown(t)
    const h = createHarness(await load())
    cleanup(() => h.close())
    await h.ready()

    await Promise.all(
      [1, 2, 3, 4].map(async () => {
        const c = h.open('echo')
        const data = randomBytes(2 * 1024 * 1024)
        const back = c.read(data.byteLength, 30_000)
        // uneven writes: the host splits and the plugin sees whatever chunking the stream makes
        for (let off = 0; off < data.byteLength; off += 100_003) await c.write(data.subarray(off, off + 100_003))
        assert.ok((await back).equals(data))
        c.end()
        await c.closed
      })
    )
    assert.equal(h.status().bytesOut, 8 * 1024 * 1024)
  })

  test(`${label}: a peer that writes without reading is held back (EAGAIN, hn_pause), then gets every byte in order`, { skip }, async (t) => {
    const cleanup = teardown(t)
    const h = createHarness(await load())
    cleanup(() => h.close())
    await h.ready()

    const c = h.open('echo')
    const data = randomBytes(16 * MiB)
    let written = 0
    const writer = (async () => {
      for (; written < data.byteLength; written += 64 * 1024) await c.write(data.subarray(written, written + 64 * 1024))
    })()
    writer.catch(() => {}) // fails only if the connection dies, which the read below would show

    // the plugin's sends hit EAGAIN, it keeps the bytes and pauses, the host stops reading
    let last = -1
    await until(
      async () => {
        const now = written
        await sleep(300)
        const still = written === now && now === last
        last = written
        return still
      },
      'the writer to stall',
      20_000
    )
    t.diagnostic(`writer stalled after ${(written / MiB).toFixed(1)} MiB; host read ${(h.status().bytesIn / MiB).toFixed(1)} MiB`)
    assert.ok(written < data.byteLength, 'stalled before the end')
    assert.ok(h.status().bytesIn < 6 * MiB, `host read ${h.status().bytesIn} bytes`)

    // reading releases everything: hn_on_drain sends what waited and resumes the connection
    const back = await c.read(data.byteLength, 30_000)
    await writer
    assert.ok(back.equals(data))
    assert.equal(h.status().bytesOut, data.byteLength)
  })

  test(`${label}: a plain Node stream without a remote key is served too`, { skip }, async (t) => {
    const cleanup = teardown(t)
    const runtime = createPluginRuntime()
    cleanup(() => runtime.close())
    const app = await load()
    await runtime.add(app)

    const plain = new PassThrough() // the plugin sees 32 zero bytes as its peer key
    runtime.handleConnection(app.manifest.app.name, 'echo', plain)
    plain.write('node stream')
    const got = await new Promise<Buffer>((resolve) => plain.once('data', resolve))
    assert.equal(got.toString(), 'node stream')
    plain.destroy()
  })

  test(`${label}: a connection to an undeclared service or an unknown app is refused with the reason`, { skip }, async (t) => {
    const cleanup = teardown(t)
    const app = await load()
    const h = createHarness(app)
    cleanup(() => h.close())
    await h.ready()

    // the harness names the mistake at once; the runtime itself refuses what reaches it
    assert.throws(() => h.open('not-a-service'), { code: 'USAGE' })
    assert.throws(() => h.open('echo', { app: 'nobody' }), { code: 'APP_NOT_FOUND' })
    const refused = (appName: string, service: string): Promise<Error | undefined> => {
      const [client, server] = createDuplexPair()
      client.on('error', () => {})
      const closed = new Promise<Error | undefined>((resolve) => client.once('close', () => resolve(lastError)))
      let lastError: Error | undefined
      client.once('error', (e) => (lastError = e))
      h.runtime.handleConnection(appName, service, server)
      return closed
    }
    const err = await refused(app.manifest.app.name, 'not-a-service')
    assert.match(String(err?.message), /ECONNRESET/, 'the peer sees a reset')
    const denial = h.logs.find((e) => e.kind === 'denied')
    const expected = `PERMISSION_DENIED: ${app.manifest.app.name}: an inbound connection to undeclared service "not-a-service"`
    assert.ok(String(denial?.msg).includes(expected), String(denial?.msg))

    await refused('nobody', 'echo')
    assert.ok(h.logs.some((e) => e.code === 'APP_NOT_FOUND'))
    assert.equal(h.status().state, 'running')
  })

  test(`${label}: stopping the runtime ends open connections cleanly, not with an error`, { skip }, async (t) => {
    const cleanup = teardown(t)
    const h = createHarness(await load())
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
}
