import test from 'node:test'
import assert from 'node:assert/strict'
import { existsSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { cli, oneLine } from '../helpers/cli.ts'
import { tempDir } from '../helpers/app-fixture.ts'
import { installExamples } from '../../host/demo/install-examples.ts'

test('serving on|off|status keeps the switches in serving.json; a bad app name changes nothing', { timeout: 30_000 }, async (t) => {
  const { dir, cleanup } = await tempDir()
  t.after(cleanup)
  const st = await cli(dir, ['serving', 'status', '--json'])
  assert.equal(st.code, 0, st.stderr)
  assert.deepEqual({ ...JSON.parse(st.stdout), limits: undefined }, { enabled: true, off: [], limits: undefined })

  // an app that is not installed is named, not switched off for nothing
  const missing = await cli(dir, ['serving', 'off', 'chat'])
  assert.equal(oneLine(missing.stderr), 'APP_NOT_FOUND: no installed app matches "chat" (expected an app name or code hash; see list)')
  assert.equal(missing.code, 2)
  assert.equal(existsSync(join(dir, 'serving.json')), false)
  await installExamples(dir, ['chat'])
  assert.equal((await cli(dir, ['serving', 'off', 'chat'])).code, 0)
  const off = await cli(dir, ['serving', 'status'])
  assert.match(off.stdout, /^serving on, except chat\nlimits: 2 fetches per peer, 16 in total, 32 MiB\/s, modules up to 32 MiB\n$/)
  // status <app>: that app's own state, as the synopsis says
  assert.equal((await cli(dir, ['serving', 'status', 'chat'])).stdout, 'chat: not served (switched off for it; serving on chat turns it back on)\n')
  assert.equal((await cli(dir, ['serving', 'on', 'chat'])).code, 0)
  const one = await cli(dir, ['serving', 'status', 'chat', '--json'])
  assert.equal(one.code, 0, one.stderr)
  assert.deepEqual(JSON.parse(one.stdout), { app: 'chat', served: true })
  const gone = await cli(dir, ['serving', 'status', 'nope'])
  assert.equal(gone.code, 2)
  assert.match(oneLine(gone.stderr), /^APP_NOT_FOUND: no installed app matches "nope"/)
  assert.equal((await cli(dir, ['serving', 'off', 'chat'])).code, 0)
  assert.equal((await cli(dir, ['serving', 'off'])).code, 0)
  assert.deepEqual(JSON.parse(readFileSync(join(dir, 'serving.json'), 'utf8')), { version: 1, enabled: false, off: ['chat'] })
  assert.equal((await cli(dir, ['serving', 'status', 'chat'])).stdout, 'chat: not served (serving is OFF for every app)\n')

  const before = readFileSync(join(dir, 'serving.json'), 'utf8')
  const bad = await cli(dir, ['serving', 'on', 'Not/An/App'])
  assert.equal(bad.code, 2)
  assert.match(oneLine(bad.stderr), /^USAGE: app: expected an app name/)
  assert.equal(readFileSync(join(dir, 'serving.json'), 'utf8'), before)
  const badAction = await cli(dir, ['serving', 'pause'])
  assert.equal(badAction.code, 2)
  assert.equal(readFileSync(join(dir, 'serving.json'), 'utf8'), before)
  assert.ok(existsSync(join(dir, 'serving.json')))
})
