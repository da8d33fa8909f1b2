import assert from 'node:assert/strict'
import { test } from 'node:test'
import { PLUGIN_LOG, PLUGIN_QUOTAS } from '../../host/constants.ts'
import { createHarness, resolvePluginLimits } from '../../host/plugins/index.ts'
import type { DuplexLike } from '../../host/plugins/index.ts'
import { LogLimiter } from '../../host/plugins/log-limiter.ts'
import { RateBucket } from '../../host/plugins/rate-bucket.ts'
import { builtApp, sleep, until } from '../helpers/plugin-apps.ts'
import { teardown } from '../helpers/teardown.ts'

const hostileGrants = { permissions: { dial: ['self/hostile'], timers: true } }

test('a plugin dialing in a loop never has more than its dials in flight or per second, and stop aborts them', { timeout: 30_000 }, async (t) => {
  const defer = teardown(t)
  const pending = new Set<AbortSignal>()
  let maxPending = 0
  let started = 0
  const aborted: AbortSignal[] = []
  // a dial that never completes: only the plugin's quota bounds how many wait
  const h = createHarness({
    ...(await builtApp('fixtures', 'hostile', hostileGrants)),
    dial: (_target, _app, signal) =>
      new Promise<DuplexLike>((_resolve, reject) => {
        started++
        pending.add(signal)
        maxPending = Math.max(maxPending, pending.size)
        signal.addEventListener('abort', () => {
          pending.delete(signal)
          aborted.push(signal)
          reject(new Error('aborted'))
        })
      })
  })
  defer(() => h.close())
  const t0 = Date.now()
  await h.ready()
  await until(() => h.logs.some((e) => e.msg.includes('EAGAIN')), 'the plugin to be told EAGAIN')
  await sleep(500)
  const seconds = (Date.now() - t0) / 1000
  assert.ok(maxPending <= PLUGIN_QUOTAS.dialsInFlight.default, `${maxPending} dials pending at once`)
  assert.ok(started <= PLUGIN_QUOTAS.dialsPerSecond.default * (Math.ceil(seconds) + 1), `${started} dials in ${seconds} s`)
  assert.equal(pending.size, PLUGIN_QUOTAS.dialsInFlight.default)
  await h.runtime.stop('hostile')
  assert.equal(pending.size, 0, 'every pending dial was aborted by stop')
  assert.ok(aborted.length >= PLUGIN_QUOTAS.dialsInFlight.default)
})

test('a plugin that dials itself and logs in a loop stays within its connections and log quota, with a dropped count', { timeout: 30_000 }, async (t) => {
  const defer = teardown(t)
  const h = createHarness(await builtApp('fixtures', 'hostile', { ...hostileGrants, limits: { dialsPerSecond: 100, dialsInFlight: 64, connections: 20 } }))
  defer(() => h.close())
  const t0 = Date.now()
  await h.ready()
  assert.equal(h.status().limits.connections, 20)
  // each loopback dial is two connections: the outbound one and the inbound one it reaches
  await until(() => h.logs.some((e) => e.msg.includes('ELIMIT')) || (h.status().droppedLogLines > 0 && h.status().connections >= 40), 'the connections quota to be reached')
  let maxConns = 0
  for (let i = 0; i < 15; i++) {
    maxConns = Math.max(maxConns, h.status().connections)
    await sleep(100)
  }
  assert.ok(maxConns <= 2 * 20, `${maxConns} connections`)
  await until(() => h.logs.some((e) => /dropped \d+ lines/.test(e.msg)), 'a dropped-lines report')
  const seconds = (Date.now() - t0) / 1000
  const pluginLines = h.logs.filter((e) => e.kind === 'plugin' || (e.kind === 'host' && !/dropped \d+ lines/.test(e.msg)))
  assert.ok(pluginLines.length <= PLUGIN_LOG.linesPerSecond * (Math.ceil(seconds) + 1), `${pluginLines.length} lines in ${seconds} s`)
  const report = h.logs.find((e) => /dropped \d+ lines/.test(e.msg))!
  assert.match(report.msg, /^hostile: dropped \d+ lines \(over 50 lines or 16384 bytes a second\)$/)
  assert.ok(h.status().droppedLogLines > 0)
  // restart and stop take effect whatever the plugin is doing
  assert.equal((await h.restart()).state, 'running')
  await h.runtime.stop('hostile')
  assert.equal(h.status().state, 'stopped')
})

test('a manifest may ask for more than the default quotas, never more than the host caps', async () => {
  const app = await builtApp('fixtures', 'hostile', { limits: { connections: 200, dialsPerSecond: 1e9, bytesOutPerSecond: 0 } })
  const q = resolvePluginLimits(app.manifest).quotas
  assert.equal(q.connections, 200)
  assert.equal(q.dialsPerSecond, PLUGIN_QUOTAS.dialsPerSecond.max)
  assert.equal(q.bytesOutPerSecond, 1)
  assert.equal(q.dialsInFlight, PLUGIN_QUOTAS.dialsInFlight.default)
  assert.equal(q.bytesInPerSecond, PLUGIN_QUOTAS.bytesInPerSecond.default)
})

test('a rate bucket lets a unit through while positive, then says when it is positive again', () => {
  let now = 0
  const b = new RateBucket(1000, () => now)
  assert.equal(b.take(1500), true, 'a unit larger than the balance goes while it is positive')
  assert.equal(b.take(1), false)
  assert.equal(b.waitMs(), 501)
  now = 501
  assert.equal(b.take(1), true)
})

test('the log limiter counts lines over either budget and reports them once per window', () => {
  let now = 0
  const l = new LogLimiter(2, 100, () => now)
  const reports: number[] = []
  const r = (n: number) => reports.push(n)
  assert.deepEqual([l.take(10, r), l.take(10, r), l.take(10, r)], [true, true, false])
  l.dropped(5) // the worker's own count
  now = 1000
  assert.equal(l.take(101, r), false, 'over the byte budget')
  assert.deepEqual(reports, [6])
  assert.equal(l.total, 7)
  l.flush(r)
  assert.deepEqual(reports, [6, 1])
})
