import assert from 'node:assert/strict'
import { test } from 'node:test'
import { createHarness } from '../../host/plugins/index.ts'
import type { Harness } from '../../host/plugins/index.ts'
import { builtApp } from '../helpers/plugin-apps.ts'
import { teardown } from '../helpers/teardown.ts'

/** An echo harness with a faulty app next to it. */
async function echoWith(t: Parameters<typeof teardown>[0], fixture: string, extra = {}): Promise<Harness> {
  const cleanup = teardown(t)
  const h = createHarness(await builtApp('plugins', 'echo'))
  cleanup(() => h.close())
  await h.ready()
  await h.add(await builtApp('fixtures', fixture, extra))
  return h
}

async function echoStillServes(h: Harness, text: string): Promise<void> {
  const c = h.open('echo')
  await c.write(text)
  assert.equal((await c.read(text.length)).toString(), text)
  c.end()
}

test('a plugin that loops is cut at its deadline, its peers see an error, and it restarts', async (t) => {
  const h = await echoWith(t, 'loop', { limits: { callTimeoutMs: 100 } })
  const victim = h.open('loop', { app: 'loop' })
  await victim.write('spin')
  // while the loop spins in its own worker, the host thread and other plugins carry on
  await echoStillServes(h, 'still here')

  const err = await victim.closed
  assert.match(String(err?.message), /ECONNRESET/, 'the peer sees the connection fail, not end cleanly')
  const back = await h.waitFor('running', { app: 'loop' })
  assert.equal(back.restarts, 1)
  assert.equal(back.recentCrashes, 1)
  assert.equal(back.lastError?.code, 'PLUGIN_TIMEOUT')
  assert.match(back.lastError!.message, /^PLUGIN_TIMEOUT: loop: hn_on_data ran past its 100 ms deadline$/)

  const states = h.logs.filter((e) => e.app === 'loop' && e.kind === 'state').map((e) => e.state)
  assert.deepEqual(states, ['starting', 'running', 'crashed', 'backoff', 'starting', 'running'])
  await echoStillServes(h, 'and after')
  // the restarted plugin takes connections again
  const fresh = h.open('loop', { app: 'loop' })
  fresh.end()
  assert.equal(await fresh.closed, null)
})

test('a plugin that traps is terminated and restarted; other plugins keep serving', async (t) => {
  const h = await echoWith(t, 'trap')
  const victim = h.open('trap', { app: 'trap' })
  const bystander = h.open('trap', { app: 'trap' })
  await victim.write('boom')
  assert.ok(await victim.closed, 'the trapping connection fails')
  assert.ok(await bystander.closed, 'so do the others of that plugin: its worker is gone')

  const back = await h.waitFor('running', { app: 'trap' })
  assert.equal(back.lastError?.code, 'PLUGIN_CRASHED')
  assert.match(back.lastError!.message, /trap: trapped in hn_on_data: unreachable/)
  assert.equal(back.connections, 0)
  await echoStillServes(h, 'unbothered')
})

test('after RESTART.maxCrashes crashes in the window a plugin is failed until an operator restarts it', async (t) => {
  const h = await echoWith(t, 'loop', { limits: { callTimeoutMs: 50 } })
  for (let i = 1; i <= 5; i++) {
    await h.waitFor('running', { app: 'loop' })
    const c = h.open('loop', { app: 'loop' })
    await c.write('spin')
    await c.closed
  }
  const failed = await h.waitFor('failed', { app: 'loop' })
  assert.equal(failed.lastError?.code, 'PLUGIN_FAILED')
  assert.match(failed.lastError!.message, /crashed 5 times within 60000 ms/)
  assert.equal(failed.restarts, 4)
  assert.ok(h.logs.some((e) => e.app === 'loop' && e.state === 'failed' && e.level === 'error'))

  // it stays down: connections are refused, nothing restarts it by itself
  const refused = h.open('loop', { app: 'loop' })
  assert.match(String((await refused.closed)?.message), /ECONNRESET/)
  assert.equal(h.status('loop').state, 'failed')

  const again = await h.restart('loop')
  assert.equal(again.state, 'running')
  assert.equal(again.recentCrashes, 0)
  assert.equal(again.lastError, null, 'no stale "restart it when fixed" once restarted')
  assert.equal(again.restarts, 5)
  await echoStillServes(h, 'fine')
})
