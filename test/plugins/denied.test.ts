import assert from 'node:assert/strict'
import { test } from 'node:test'
import { createHarness } from '../../host/plugins/index.ts'
import { builtApp, until } from '../helpers/plugin-apps.ts'
import { teardown } from '../helpers/teardown.ts'

test('host functions the manifest does not grant return EDENIED and are logged', async (t) => {
  const cleanup = teardown(t)
  const h = createHarness(await builtApp('fixtures', 'denied'))
  cleanup(() => h.close())
  await h.ready()

  const c = h.open('denied')
  await c.write('go')
  const line = (await c.read(37)).toString()
  assert.equal(line, 'connect=-2 store_put=-2 timer_set=-2\n')

  const denials = await until(() => {
    const d = h.logs.filter((e) => e.kind === 'denied')
    return d.length >= 3 && d
  }, 'three denials in the log')
  assert.deepEqual(denials.map((e) => e.msg), [
    'denied: dialing "self/echo" is not granted by its manifest',
    'denied: writing storage is not granted by its manifest',
    'denied: setting a timer is not granted by its manifest'
  ])
  assert.ok(denials.every((e) => e.app === 'denied' && e.level === 'warn'))
  assert.equal(h.dials.length, 0, 'nothing was dialed')
  assert.equal(h.status().state, 'running', 'a denial is an answer, not a crash')
})

test('granted, the same calls go through: storage and timers work, the dial reaches the dialer', async (t) => {
  const cleanup = teardown(t)
  const app = await builtApp('fixtures', 'denied', {
    services: [{ name: 'denied', port: 7, protocol: 'stream' }, { name: 'echo', port: 8, protocol: 'stream' }],
    permissions: { dial: ['self/echo'], storage: { quotaBytes: 1024 }, timers: true }
  })
  const h = createHarness(app)
  cleanup(() => h.close())
  await h.ready()

  const c = h.open('denied')
  await c.write('go')
  // connection ids the host gives outbound connections are even; the fixture closes it at once
  assert.equal((await c.read(34)).toString(), 'connect=2 store_put=0 timer_set=1\n')
  assert.equal(h.logs.filter((e) => e.kind === 'denied').length, 0)
  await until(() => h.dials.length === 1, 'the dial')
  assert.equal(h.dials[0].raw, 'self/echo')
})
