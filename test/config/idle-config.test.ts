import test from 'node:test'
import assert from 'node:assert/strict'
import { join } from 'node:path'
import { validateConfig, setKey } from '../../host/config/config-file.ts'
import { idlePolicy } from '../../host/cli/actions/daemon.ts'
import { idleStopFor } from '../../host/daemon/idle-policy.ts'
import type { Manifest } from '../../host/manifest/index.ts'
import { tempDir } from '../helpers/app-fixture.ts'
import { teardown } from '../helpers/teardown.ts'
import { cli, oneLine } from '../helpers/cli.ts'

const FILE = '/h/config.json'

const BAD_CONFIG: Array<[string, unknown, RegExp]> = [
  ['refuses a negative idle.stopAfter', { idle: { stopAfter: -1 } }, /\/idle\/stopAfter: must be >= 0, got -1$/],
  ['refuses an idle.stopAfter beyond a week', { idle: { stopAfter: 700000 } }, /\/idle\/stopAfter: must be <= 604800, got 700000$/],
  ['refuses an idle.apps entry without a period', { idle: { apps: ['echo'] } }, /\/idle\/apps\/0: expected <app name>=<seconds> such as echo=60, got "echo"$/],
  ['refuses an unknown idle field', { idle: { after: 3 } }, /\/idle: unknown field "after"$/]
]

for (const [title, value, line] of BAD_CONFIG) {
  test(title, () => {
    assert.throws(
      () => validateConfig(value, FILE),
      (err: any) => err.code === 'CONFIG_INVALID' && line.test(err.message) && !err.message.includes('\n')
    )
  })
}

test('config set idle.stopAfter and idle.apps convert to a number and a list', () => {
  const c = setKey(setKey({}, 'idle.stopAfter', '300', FILE), 'idle.apps', 'echo=60, chat=0', FILE)
  assert.deepEqual(c, { idle: { stopAfter: 300, apps: ['echo=60', 'chat=0'] } })
})

test('the idle policy: flags over the file, per-app entries merged name by name, seconds to ms; absent: none', () => {
  assert.equal(idlePolicy({}, {}, FILE), undefined)
  assert.deepEqual(idlePolicy({}, { idle: { stopAfter: 60, apps: ['chat=0', 'echo=5'] } }, FILE), { defaultMs: 60_000, apps: { chat: 0, echo: 5000 } })
  assert.deepEqual(idlePolicy({ idleStop: 10, idleStopApp: ['echo=1'] }, { idle: { stopAfter: 60, apps: ['chat=0', 'echo=5'] } }, FILE), {
    defaultMs: 10_000,
    apps: { chat: 0, echo: 1000 }
  })
  assert.deepEqual(idlePolicy({ idleStop: 0 }, { idle: { stopAfter: 60 } }, FILE), { defaultMs: 0 })
})

test('bad idle flags are one USAGE line naming the flag and the value', () => {
  const usage = (flags: Parameters<typeof idlePolicy>[0], line: string) =>
    assert.throws(
      () => idlePolicy(flags, {}, FILE),
      (err: any) => err.code === 'USAGE' && err.message === line
    )
  usage({ idleStop: -5 }, 'USAGE: --idle-stop: expected whole seconds from 0 (always running) to 604800, got -5')
  usage({ idleStop: 1.5 }, 'USAGE: --idle-stop: expected whole seconds from 0 (always running) to 604800, got 1.5')
  usage({ idleStopApp: ['echo'] }, 'USAGE: --idle-stop-app: expected <app name>=<seconds> such as echo=60, got "echo"')
  usage({ idleStopApp: ['Echo=5'] }, 'USAGE: --idle-stop-app: expected <app name>=<seconds> such as echo=60, got "Echo=5"')
  usage({ idleStopApp: ['echo=999999'] }, 'USAGE: --idle-stop-app echo: expected whole seconds from 0 (always running) to 604800, got 999999')
  assert.throws(
    () => idlePolicy({}, { idle: { apps: ['echo=999999'] } }, FILE),
    (err: any) => err.code === 'USAGE' && err.message === `USAGE: ${FILE} idle.apps echo: expected whole seconds from 0 (always running) to 604800, got 999999`
  )
})

test('start --idle-stop with a bad value exits 2 before starting anything', async (t) => {
  const defer = teardown(t)
  const tmp = await tempDir()
  defer(tmp.cleanup)
  const home = join(tmp.dir, 'home')
  const r = await cli(home, ['start', '--local', '--idle-stop-app', 'echo'])
  assert.equal(r.code, 2, r.stderr)
  assert.equal(oneLine(r.stderr), 'USAGE: --idle-stop-app: expected <app name>=<seconds> such as echo=60, got "echo"')
})

test('an app named like an Object member (constructor) gets the host-wide period, not an inherited value', () => {
  const manifest = { app: { name: 'constructor' }, permissions: {} } as unknown as Manifest
  assert.deepEqual(idleStopFor(manifest, { defaultMs: 5000, apps: { echo: 60_000 } }), { ms: 5000, why: 'the host-wide idle stop' })
})
