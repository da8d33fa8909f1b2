import assert from 'node:assert/strict'
import { test } from 'node:test'
import { createHarness } from '../../host/plugins/index.ts'
import { builtApp, rssMiB } from '../helpers/plugin-apps.ts'
import { teardown } from '../helpers/teardown.ts'

const CAP_MIB = 16
const MARGIN_MIB = 64

test('a plugin that grows its memory without end is stopped at the cap and the host RSS stays under it plus a margin', async (t) => {
  const cleanup = teardown(t)
  const h = createHarness(await builtApp('plugins', 'echo'))
  cleanup(() => h.close())
  await h.ready()
  // the module declares 256 MiB (the host's own cap); its manifest asks for 16: the host lowers it.
  // A long deadline, so that only the memory cap can stop it.
  const added = await h.add(await builtApp('fixtures', 'alloc', { limits: { memoryMiB: CAP_MIB, callTimeoutMs: 5000 } }))
  assert.equal(added.limits.memoryMiB, CAP_MIB)

  const rss0 = rssMiB()
  let peak = rss0
  const sampler = setInterval(() => (peak = Math.max(peak, rssMiB())), 2)
  cleanup(() => clearInterval(sampler))

  const hog = h.open('alloc', { app: 'alloc' })
  await hog.write('eat')
  assert.ok(await hog.closed, 'its connection fails with the plugin')
  const back = await h.waitFor('running', { app: 'alloc' })
  clearInterval(sampler)
  peak = Math.max(peak, rssMiB())

  assert.equal(back.lastError?.code, 'PLUGIN_CRASHED')
  assert.match(back.lastError!.message, /alloc: trapped in hn_on_data/)
  t.diagnostic(`alloc: host RSS ${rss0.toFixed(1)} MiB before, peak ${peak.toFixed(1)} MiB, growth ${(peak - rss0).toFixed(1)} MiB (cap ${CAP_MIB} + margin ${MARGIN_MIB})`)
  assert.ok(peak - rss0 < CAP_MIB + MARGIN_MIB, `RSS grew ${(peak - rss0).toFixed(1)} MiB`)

  const c = h.open('echo')
  await c.write('alive')
  assert.equal((await c.read(5)).toString(), 'alive')
})
