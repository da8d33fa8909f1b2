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

test('a peer that writes and never reads is held back by the transport, not by host memory', async (t) => {
  const cleanup = teardown(t)
  const h = createHarness(await builtApp('plugins', 'echo'))
  cleanup(() => h.close())
  await h.ready()

  const c = h.open('echo')
  const chunk = Buffer.alloc(64 * 1024, 0x65)
  let written = 0
  const writer = (async () => {
    for (;;) {
      await c.write(chunk) // resolves only while the host keeps reading
      written += chunk.byteLength
    }
  })()
  writer.catch(() => {}) // ends when the connection closes at teardown
  await sleep(1_000)
  const stalled = written
  await sleep(500)
  t.diagnostic(`writer stalled after ${(stalled / MiB).toFixed(1)} MiB; host read ${(h.status().bytesIn / MiB).toFixed(1)} MiB`)
  assert.equal(written, stalled, 'the writer is stalled')
  // echo's own queue (1 MiB) + the send window (1 MiB) + the inbound window (1 MiB) + stream buffers
  assert.ok(h.status().bytesIn < 6 * MiB, `host read ${h.status().bytesIn} bytes`)
  c.destroy()
})
