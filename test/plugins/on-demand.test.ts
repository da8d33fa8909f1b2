import assert from 'node:assert/strict'
import { test } from 'node:test'
import { createDuplexPair, createHarness } from '../../host/plugins/index.ts'
import type { HypernetError } from '../../host/errors.ts'
import { builtApp } from '../helpers/plugin-apps.ts'
import { teardown } from '../helpers/teardown.ts'

/** Idle periods in these tests: short, so an app goes back to idle quickly; nothing asserts how fast. */
const IDLE_MS = 300

async function onDemandEcho(t: Parameters<typeof teardown>[0], appName = 'lazy') {
  const cleanup = teardown(t)
  const echo = await builtApp('plugins', 'echo')
  const h = createHarness(echo)
  cleanup(() => h.close())
  await h.ready()
  const added = await h.add({ ...(await builtApp('plugins', 'echo', { appName })), idleStopMs: IDLE_MS })
  return { h, added }
}

test('an on-demand app is added idle, with no worker, and its first connection starts it and gets the answer', async (t) => {
  const { h, added } = await onDemandEcho(t)
  assert.equal(added.state, 'idle')
  assert.equal(added.idleStopMs, IDLE_MS)
  assert.equal(added.wakes, 0)

  const c = h.open('echo', { app: 'lazy' })
  await c.write('wake up')
  assert.equal((await c.read(7)).toString(), 'wake up', 'the held connection was handed to the plugin once it was ready')
  const st = h.status('lazy')
  assert.equal(st.state, 'running')
  assert.equal(st.wakes, 1)
  c.end()
  await c.closed

  const back = await h.waitFor('idle', { app: 'lazy' })
  assert.equal(back.connections, 0)
  assert.ok(h.logs.some((e) => e.app === 'lazy' && /idle for 300 ms, stopping its worker/.test(e.msg)))

  // and again: a second wake after the sleep
  const d = h.open('echo', { app: 'lazy' })
  await d.write('again')
  assert.equal((await d.read(5)).toString(), 'again')
  assert.equal(h.status('lazy').wakes, 2)
  assert.equal(h.status('lazy').restarts, 0, 'a start on demand is not a restart')
  d.end()
})

test('an open connection keeps an on-demand app running past its idle period', async (t) => {
  const { h } = await onDemandEcho(t)
  const c = h.open('echo', { app: 'lazy' })
  await c.write('x')
  await c.read(1)
  // three idle periods with the connection open and quiet: still running
  await new Promise((r) => setTimeout(r, 3 * IDLE_MS))
  assert.equal(h.status('lazy').state, 'running')
  await c.write('y')
  assert.equal((await c.read(1)).toString(), 'y')
  c.end()
  await h.waitFor('idle', { app: 'lazy' })
})

test('many connections arriving at once to an idle app start it once, and each gets its answer', async (t) => {
  const { h } = await onDemandEcho(t)
  const conns = Array.from({ length: 40 }, () => h.open('echo', { app: 'lazy' }))
  assert.equal(h.status('lazy').waiting, 40, 'all held, none refused')
  const answers = await Promise.all(
    conns.map(async (c, i) => {
      await c.write(`n${String(i).padStart(3, '0')}`)
      return (await c.read(4)).toString()
    })
  )
  assert.deepEqual(
    answers,
    conns.map((_, i) => `n${String(i).padStart(3, '0')}`)
  )
  assert.equal(h.status('lazy').wakes, 1)
  assert.equal(h.status('lazy').restarts, 0)
  for (const c of conns) c.end()
})

test('a start on demand that fails closes the held connections with its error and leaves the app failed', async (t) => {
  const cleanup = teardown(t)
  const echo = await builtApp('plugins', 'echo')
  const h = createHarness(echo)
  cleanup(() => h.close())
  await h.ready()
  const broken = await builtApp('fixtures', 'noexports', { appName: 'broken', services: [{ name: 'echo', port: 7, protocol: 'stream' }] })
  assert.equal((await h.add({ ...broken, idleStopMs: IDLE_MS })).state, 'idle', 'nothing runs it before a connection')

  const [client, server] = createDuplexPair()
  client.on('error', () => {})
  const destroyed = new Promise<void>((resolve) => server.once('close', () => resolve()))
  let err: HypernetError | null = null
  server.on('error', (e: Error) => (err = e as HypernetError))
  h.runtime.handleConnection('broken', 'echo', server)
  await destroyed
  assert.ok(err, 'the held connection was destroyed with an error')
  assert.equal((err as HypernetError).code, 'EXPORT_MISSING')
  assert.equal(h.status('broken').state, 'failed')
  assert.ok(h.logs.some((e) => e.app === 'broken' && /the start on demand failed .*closing the 1 connections that waited for it/.test(e.msg)))

  // the next connection is refused at once: a failed app stays down until restarted
  const c = h.open('echo', { app: 'broken' })
  assert.ok((await c.closed) instanceof Error)
})

test('removing an app closes the connections waiting for its start', async (t) => {
  const { h } = await onDemandEcho(t)
  const c = h.open('echo', { app: 'lazy' })
  await h.runtime.remove('lazy')
  assert.ok((await c.closed) instanceof Error)
})

test('an operator restart starts an idle app at once; unused, it goes back to idle', async (t) => {
  const { h } = await onDemandEcho(t)
  assert.equal((await h.restart('lazy')).state, 'running')
  assert.equal(h.status('lazy').wakes, 0, 'a restart is not a start on demand')
  await h.waitFor('idle', { app: 'lazy' })
  await h.runtime.stop('lazy')
  assert.equal(h.status('lazy').state, 'stopped')
  const c = h.open('echo', { app: 'lazy' })
  assert.ok((await c.closed) instanceof Error, 'a stopped app refuses, it is not woken')
  assert.equal(h.status('lazy').wakes, 0)
})
