import test from 'node:test'
import assert from 'node:assert/strict'
import { join } from 'node:path'
import { PassThrough } from 'node:stream'
import { printLogs } from '../../host/cli/actions/logs.ts'
import { createContext } from '../../host/cli/context.ts'
import { createLogger } from '../../host/log/logger.ts'
import { tempDir } from '../helpers/app-fixture.ts'
import { cli, oneLine } from '../helpers/cli.ts'
import { sleep } from '../helpers/plugin-apps.ts'
import { teardown } from '../helpers/teardown.ts'

async function home(t: any): Promise<string> {
  const tmp = await tempDir()
  teardown(t)(tmp.cleanup)
  return tmp.dir
}

/** What the daemon would have written: lines of two apps and the host, at every level, across rotations. */
async function writeLog(dir: string): Promise<void> {
  const log = createLogger({ file: join(dir, 'logs', 'host.log'), maxBytes: 4096, files: 3 })
  for (let i = 0; i < 60; i++) {
    const app = log.child({ app: i % 2 ? 'echo' : 'chat' })
    if (i % 10 === 0) app.error(`failure ${i}`)
    else if (i % 5 === 0) app.warn(`warning ${i}`)
    else app.info(`line ${i}`)
    log.debug(`detail ${i}`)
  }
  log.info('host stopped')
  await log.close()
}

test('logs prints the last lines readable, and filters them by level and app, across rotated files', { timeout: 30_000 }, async (t) => {
  const dir = await home(t)
  await writeLog(dir)
  const last = await cli(dir, ['logs', '--lines', '3'])
  assert.equal(last.code, 0, last.stderr)
  assert.deepEqual(
    last.stdout
      .split('\n')
      .filter(Boolean)
      .map((l) => l.replace(/^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d{3} /, '')),
    ['INFO  line 59  app=echo', 'DEBUG detail 59', 'INFO  host stopped']
  )
  // errors of one app, from every file (the first ones were rotated out of host.log long ago)
  const errors = await cli(dir, ['logs', '--level', 'error', '--app', 'chat', '--lines', '100'])
  assert.equal(errors.code, 0, errors.stderr)
  assert.deepEqual(
    errors.stdout
      .split('\n')
      .filter(Boolean)
      .map((l) =>
        l
          .split(/ {1,2}/)
          .slice(2)
          .join(' ')
      ),
    [
      'ERROR failure 0 app=chat',
      'ERROR failure 10 app=chat',
      'ERROR failure 20 app=chat',
      'ERROR failure 30 app=chat',
      'ERROR failure 40 app=chat',
      'ERROR failure 50 app=chat'
    ]
  )
  const warn = await cli(dir, ['logs', '--level', 'WARN', '--app', 'echo', '--json'])
  assert.equal(warn.code, 0, warn.stderr)
  const objects = warn.stdout
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l))
  assert.deepEqual(
    objects.map((o) => [o.level, o.msg]),
    [
      ['warn', 'warning 5'],
      ['warn', 'warning 15'],
      ['warn', 'warning 25'],
      ['warn', 'warning 35'],
      ['warn', 'warning 45'],
      ['warn', 'warning 55']
    ]
  )
  const none = await cli(dir, ['logs', '--app', 'nope'])
  assert.equal(none.code, 0)
  assert.equal(
    none.stdout,
    `no log lines that pass the filters in ${join(dir, 'logs', 'host.log')} and host.log.1 to host.log.2\n`,
    'names every file searched'
  )
  const zero = await cli(dir, ['logs', '--lines', '0'])
  assert.deepEqual([zero.code, zero.stdout, zero.stderr], [0, '', ''], '--lines 0: nothing asked, nothing printed')
})

test('logs with a bad --level or --lines is a usage error naming the flag, exit 2', { timeout: 30_000 }, async (t) => {
  const dir = await home(t)
  const level = await cli(dir, ['logs', '--level', 'loud'])
  assert.equal(level.code, 2)
  assert.equal(oneLine(level.stderr), 'USAGE: --level: expected one of debug, info, warn, error, got "loud"')
  assert.equal(level.stdout, '')
  for (const n of ['-1', '1.5']) {
    const lines = await cli(dir, ['logs', '--lines', n])
    assert.equal(lines.code, 2)
    assert.equal(oneLine(lines.stderr), `USAGE: --lines: expected a whole number, 0 or more, got ${n}`)
  }
  // text is refused for every number flag in one place, quoting what was typed
  const text = await cli(dir, ['logs', '--lines', 'many'])
  assert.equal(text.code, 2)
  assert.equal(oneLine(text.stderr), 'USAGE: --lines: expected a number, got "many"')
  const follow = await cli(dir, ['logs', '-f', '--level', 'verbose'])
  assert.equal(follow.code, 2, 'a bad flag with --follow fails at once instead of following')
  assert.equal(oneLine(follow.stderr), 'USAGE: --level: expected one of debug, info, warn, error, got "verbose"')
})

test('logs --follow goes on across rotations, every new line once and in order, filtered', { timeout: 60_000 }, async (t) => {
  const dir = await home(t)
  const stdout = new PassThrough()
  let out = ''
  stdout.on('data', (d) => (out += d))
  const ctx = createContext({ home: dir, json: true }, { stdout, stderr: new PassThrough(), stdin: new PassThrough(), interactive: false })
  const log = createLogger({ file: join(dir, 'logs', 'host.log'), maxBytes: 2048, files: 2 })
  teardown(t)(() => log.close())
  log.info('before the follow', { app: 'echo' })
  const ac = new AbortController()
  const following = printLogs(ctx, { follow: true, app: 'echo', lines: 1 }, ac.signal, 20)
  await sleep(100)
  const wanted: number[] = []
  for (let i = 0; i < 300; i++) {
    // runs of lines that rotate the file once or several times between two looks
    log.child({ app: i % 3 ? 'echo' : 'chat' }).info(`follow ${i}`, { i })
    if (i % 3) wanted.push(i)
    if (i % 25 === 0) await sleep(i % 50 === 0 ? 60 : 5)
  }
  const seen = () =>
    out
      .trim()
      .split('\n')
      .filter(Boolean)
      .map((l) => JSON.parse(l))
  for (let k = 0; k < 200 && seen().length < wanted.length + 1; k++) await sleep(25)
  ac.abort()
  await following
  const lines = seen()
  assert.equal(lines[0].msg, 'before the follow')
  assert.deepEqual(
    lines.slice(1).map((l) => l.i),
    wanted
  )
  assert.ok(log.stats.rotations >= 5, `${log.stats.rotations} rotations`)
})
