import assert from 'node:assert/strict'
import { test } from 'node:test'
import { LIMITS } from '../../host/constants.ts'
import { createHarness } from '../../host/plugins/index.ts'
import { builtApp, rssMiB, sleep, until } from '../helpers/plugin-apps.ts'
import { teardown } from '../helpers/teardown.ts'

const MiB = 1024 * 1024

test('a plugin flooding a peer that never reads gets EAGAIN and host memory stays bounded', async (t) => {
  const cleanup = teardown(t)
  const h = createHarness(await builtApp('plugins', 'echo'))
  cleanup(() => h.close())
  await h.ready()
  await h.add(await builtApp('fixtures', 'flood', { permissions: { timers: true } }))

  const rss0 = rssMiB()
  const heap0 = process.memoryUsage().heapUsed / MiB
  let rssPeak = rss0
  const sampler = setInterval(() => (rssPeak = Math.max(rssPeak, rssMiB())), 20)
  cleanup(() => clearInterval(sampler))

  const sink = h.open('flood', { app: 'flood' }) // never read
  // the fixture tries 32 x 64 KiB every 10 ms: ~200 MB/s, ~400 MB over these 2 s if unbounded
  await sleep(2_000)
  const report = await until(() => h.logs.find((e) => e.app === 'flood' && /EAGAIN/.test(e.msg)), 'the flood report')
  const [, sent, eagain] = /sent (\d+) bytes, (\d+) EAGAIN/.exec(report.msg)!.map(Number)
  const heapGrowth = process.memoryUsage().heapUsed / MiB - heap0

  t.diagnostic(`flood: plugin sent ${sent} bytes with ${eagain} EAGAIN; host took ${h.status('flood').bytesOut} bytes; RSS ${rss0.toFixed(0)} -> peak ${rssPeak.toFixed(0)} MiB; heap +${heapGrowth.toFixed(1)} MiB`)
  assert.ok(eagain > 0, 'the plugin was told to wait')
  // the window is 1 MiB in flight; what the stream buffers before pushing back adds a little
  assert.ok(h.status('flood').bytesOut <= LIMITS.sendHighWaterBytes + 2 * 64 * 1024 + 64 * 1024, `host accepted ${h.status('flood').bytesOut} bytes`)
  assert.ok(rssPeak - rss0 < 64, `RSS grew ${(rssPeak - rss0).toFixed(0)} MiB`)
  assert.ok(heapGrowth < 32, `heap grew ${heapGrowth.toFixed(1)} MiB`)

  // meanwhile everything else is served
  const c = h.open('echo')
  await c.write('unaffected')
  assert.equal((await c.read(10)).toString(), 'unaffected')

  // once the peer reads, the plugin's sends flow again
  const before = h.status('flood').bytesOut
  await sink.read(4 * MiB, 20_000)
  assert.ok(h.status('flood').bytesOut > before + 2 * MiB, 'drained: hn_on_drain let it send again')
  sink.destroy()
})

test('a peer that writes without reading is held back by the transport, then resumes when it reads', async (t) => {
  const cleanup = teardown(t)
  const h = createHarness(await builtApp('plugins', 'echo'))
  cleanup(() => h.close())
  await h.ready()

  const c = h.open('echo')
  const total = 16 * MiB
  const chunk = Buffer.alloc(64 * 1024, 0x65)
  let written = 0
  const writer = (async () => {
    while (written < total) {
      await c.write(chunk) // resolves only while the host keeps reading
      written += chunk.byteLength
    }
  })()
  writer.catch(() => {}) // fails only if the connection dies, which the reads below would show

  // wait until the writer stops making progress: echo's sends hit EAGAIN, it pauses the
  // connection (hn_pause), the host stops reading, and the stream pushes back on the writer
  let last = -1
  await until(async () => {
    const now = written
    await sleep(300)
    const still = written === now && now === last
    last = written
    return still
  }, 'the writer to stall', 20_000)
  const readByHost = h.status().bytesIn
  t.diagnostic(`writer stalled after ${(written / MiB).toFixed(1)} MiB; host read ${(readByHost / MiB).toFixed(1)} MiB`)
  assert.ok(written < total, 'stalled before the end')
  // echo's own queue (1 MiB) + the send window (1 MiB) + the inbound window (1 MiB) + stream buffers
  assert.ok(readByHost < 6 * MiB, `host read ${readByHost} bytes`)

  // reading releases everything: the plugin's drain resumes it and all bytes come back
  const back = await c.read(total, 30_000)
  await writer
  assert.equal(back.byteLength, total)
  assert.ok(back.every((b) => b === 0x65))
  assert.equal(h.status().bytesOut, total)
})
