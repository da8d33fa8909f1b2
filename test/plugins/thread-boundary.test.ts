import assert from 'node:assert/strict'
import { randomBytes } from 'node:crypto'
import { test } from 'node:test'
import { createHarness } from '../../host/plugins/index.ts'
import { RING } from '../../host/plugins/protocol.ts'
import { RUNTIME_LIMITS } from '../../host/plugins/plugin-limits.ts'
import { builtApp, sleep, until } from '../helpers/plugin-apps.ts'
import { teardown } from '../helpers/teardown.ts'

const MiB = 1024 * 1024

test('a 1 MiB hn_send crosses the thread boundary as several ops and reaches the peer whole, in order', async (t) => {
  const cleanup = teardown(t)
  const h = createHarness(await builtApp('fixtures', 'bigsend'))
  cleanup(() => h.close())
  await h.ready()
  assert.ok(MiB > RING.maxPayloadBytes, 'larger than one op')

  const c = h.open('bigsend')
  const got = await c.read(MiB, 20_000)
  for (let i = 0; i < MiB; i++) if (got[i] !== ((i * 7) & 0xff)) assert.fail(`byte ${i} is ${got[i]}`)
  await until(() => h.logs.find((e) => /bigsend: rc/.test(e.msg)), 'the plugin to log its send')
  assert.ok(h.logs.some((e) => e.msg === 'bigsend: rc 1048576'), 'hn_send took it all at once')
  c.destroy()
})

test('with more in flight than the ring to the worker holds, every connection gets its bytes back in order', async (t) => {
  const cleanup = teardown(t)
  const h = createHarness(await builtApp('plugins', 'echo'))
  cleanup(() => h.close())
  await h.ready()

  // 12 connections with a 1 MiB window each may have 12 MiB in flight: the host thread queues
  // what the 1 MiB ring cannot take and is woken when the worker has made room
  const conns = 12
  assert.ok(conns * RUNTIME_LIMITS.connInboundBytes > RING.toWorkerBytes)
  await Promise.all(Array.from({ length: conns }, async () => {
    const c = h.open('echo')
    const data = randomBytes(3 * MiB)
    const back = c.read(data.byteLength, 60_000)
    for (let off = 0; off < data.byteLength; off += RUNTIME_LIMITS.maxDataBytes) await c.write(data.subarray(off, off + RUNTIME_LIMITS.maxDataBytes))
    assert.ok((await back).equals(data))
    c.end()
    await c.closed
  }))
  assert.equal(h.status().bytesOut, conns * 3 * MiB)
})

test('a plugin whose worker went idle is woken by the next op', async (t) => {
  const cleanup = teardown(t)
  const h = createHarness(await builtApp('plugins', 'echo'))
  cleanup(() => h.close())
  await h.ready()

  const c = h.open('echo')
  for (let i = 0; i < 3; i++) {
    await c.write(`ping ${i}`)
    assert.equal((await c.read(6)).toString(), `ping ${i}`)
    await sleep(RUNTIME_LIMITS.workerHotMs * 5) // past the hot window: the worker waits in its event loop
  }
  c.end()
  await c.closed
})
