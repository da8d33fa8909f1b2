import assert from 'node:assert/strict'
import { readFile, readdir, rm, stat } from 'node:fs/promises'
import { basename, dirname, join } from 'node:path'
import { test } from 'node:test'
import { startHostileHost } from '../helpers/hostile-hosts.ts'
import { sleep } from '../helpers/plugin-apps.ts'
import { teardown } from '../helpers/teardown.ts'
import { startTestnet } from '../helpers/testnet.ts'

// Issue 19: a plugin that logs in a loop (test/fixtures/plugins/hostile.ts: five lines a
// millisecond, plus a line per dial) once grew host.log by 80 KB/s, forever. The per-plugin
// limiter caps its lines; rotation caps the file, whatever gets through.
test('a chatty plugin cannot grow the log past its rotation bound: host.log and two old files, 4 KiB each', { timeout: 90_000 }, async (t) => {
  const defer = teardown(t)
  const testnet = await startTestnet(10)
  defer(() => testnet.destroy())
  const maxBytes = 4096
  const files = 2
  const h = await startHostileHost(testnet, undefined, { maxBytes, files, fileLevel: 'debug' })
  defer(() => rm(h.home, { recursive: true, force: true }))
  defer(() => h.close())
  const dir = dirname(h.logFile)
  const logs = async () => (await readdir(dir)).filter((f) => f.startsWith(basename(h.logFile))).sort()
  let peak = 0
  for (let i = 0; i < 16; i++) {
    await sleep(250)
    let sum = 0
    for (const f of await logs()) sum += (await stat(join(dir, f)).catch(() => ({ size: 0 }))).size
    peak = Math.max(peak, sum)
  }
  await h.close()
  const names = await logs()
  t.diagnostic(JSON.stringify({ peak, names }))
  assert.deepEqual(names, ['host.log', 'host.log.1', 'host.log.2'], 'rotated, and no more than two old files kept')
  assert.ok(peak <= maxBytes * (files + 1), `${peak} bytes on disk, bound ${maxBytes * (files + 1)}`)
  for (const f of names) assert.ok((await stat(join(dir, f))).size <= maxBytes, `${f} within ${maxBytes} bytes`)
  const text = (await Promise.all(names.map((f) => readFile(join(dir, f), 'utf8')))).join('')
  assert.match(text, /"app":"hostile"/)
  assert.match(text, /hostile: dropped \d+ lines/)
})
