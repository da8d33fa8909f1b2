import test from 'node:test'
import assert from 'node:assert/strict'
import { spawn } from 'node:child_process'
import { access, readFile, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { resolveLogLevel } from '../../host/cli/env.ts'
import { tempDir } from '../helpers/app-fixture.ts'
import { cli, oneLine } from '../helpers/cli.ts'
import { teardown } from '../helpers/teardown.ts'

const BIN = fileURLToPath(new URL('../../bin/hypernet-host.js', import.meta.url))
/** A bootstrap address where nothing answers: the host waits, logging that it does. */
const SILENT = '127.0.0.1:9'

async function home(t: any): Promise<string> {
  const tmp = await tempDir()
  teardown(t)(tmp.cleanup)
  return tmp.dir
}

test('the log level: --log-level (or -v) > HYPERNET_LOG_LEVEL > config log.level > config logLevel > info', () => {
  const file = { log: { level: 'error' as const }, logLevel: 'warn' as const }
  assert.equal(resolveLogLevel(undefined, undefined, {}, {}), 'info')
  assert.equal(resolveLogLevel(undefined, undefined, { logLevel: 'warn' }, {}), 'warn')
  assert.equal(resolveLogLevel(undefined, undefined, file, {}), 'error')
  assert.equal(resolveLogLevel(undefined, undefined, file, { HYPERNET_LOG_LEVEL: 'Debug' }), 'debug')
  assert.equal(resolveLogLevel(undefined, undefined, file, { HYPERNET_LOG_LEVEL: '' }), 'error', 'an empty variable is unset')
  assert.equal(resolveLogLevel('warn', undefined, file, { HYPERNET_LOG_LEVEL: 'debug' }), 'warn')
  assert.equal(resolveLogLevel(undefined, true, file, { HYPERNET_LOG_LEVEL: 'error' }), 'debug')
  assert.equal(resolveLogLevel('debug', true, file, {}), 'debug')
  assert.throws(() => resolveLogLevel('info', true, {}, {}), { code: 'USAGE', message: 'USAGE: -v and --log-level info: choose one (-v is --log-level debug)' })
})

test('a bad log level is one line naming where it came from, exit 2, and nothing starts', { timeout: 30_000 }, async (t) => {
  const dir = await home(t)
  const flag = await cli(dir, ['start', '--bootstrap', SILENT, '--log-level', 'loud'])
  assert.equal(flag.code, 2)
  assert.equal(oneLine(flag.stderr), 'USAGE: --log-level: expected one of debug, info, warn, error, got "loud"')
  const saved = process.env.HYPERNET_LOG_LEVEL
  process.env.HYPERNET_LOG_LEVEL = 'chatty'
  try {
    const env = await cli(dir, ['start', '--bootstrap', SILENT])
    assert.equal(env.code, 2)
    assert.equal(oneLine(env.stderr), 'USAGE: HYPERNET_LOG_LEVEL: expected one of debug, info, warn, error, got "chatty"')
  } finally {
    if (saved === undefined) delete process.env.HYPERNET_LOG_LEVEL
    else process.env.HYPERNET_LOG_LEVEL = saved
  }
  const set = await cli(dir, ['config', 'set', 'log.level', 'loud'])
  assert.equal(set.code, 2)
  assert.match(oneLine(set.stderr), /^CONFIG_INVALID: .*config\.json \/log\/level: expected one of "debug", "info", "warn", "error", got "loud"$/)
  const small = await cli(dir, ['config', 'set', 'log.maxBytes', '100'])
  assert.equal(small.code, 2)
  assert.match(oneLine(small.stderr), /^CONFIG_INVALID: .*config\.json \/log\/maxBytes: must be >= 4096, got 100$/)
  await writeFile(join(dir, 'config.json'), JSON.stringify({ log: { level: 'LOUD' } }))
  const file = await cli(dir, ['start', '--bootstrap', SILENT])
  assert.equal(file.code, 2)
  assert.match(oneLine(file.stderr), /^CONFIG_INVALID: .*config\.json \/log\/level: expected one of "debug", "info", "warn", "error", got "LOUD"$/)
  assert.equal((await cli(dir, ['logs'])).stdout.trim(), `no log lines in ${join(dir, 'logs', 'host.log')}`, 'no start wrote a line')
})

/** Run `start` offline until it says it waits (or a second passes), SIGTERM it, and return its stderr. */
async function startAndStop(dir: string, args: string[], env: Record<string, string>, t: any): Promise<string> {
  const child = spawn(process.execPath, [BIN, '--home', dir, 'start', '--bootstrap', SILENT, ...args], {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, HYPERNET_LOG_LEVEL: '', ...env }
  })
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)))
  teardown(t)(async () => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL')
    await exited
  })
  let err = ''
  child.stderr.on('data', (d) => (err += d))
  // the control socket is there once the host is opening
  for (
    let i = 0;
    i < 300 &&
    !err.includes('joining the DHT') &&
    !(await access(join(dir, 'hypernet.sock')).then(
      () => true,
      () => false
    ));
    i++
  )
    await new Promise((r) => setTimeout(r, 50))
  await new Promise((r) => setTimeout(r, 300))
  child.kill('SIGTERM')
  assert.equal(await exited, 0, err)
  return err
}

test('the daemon logs at the level in force, to the terminal and the file, and its last line reaches the file', { timeout: 60_000 }, async (t) => {
  const dir = await home(t)
  await writeFile(join(dir, 'config.json'), JSON.stringify({ log: { level: 'warn' } }))
  // the environment wins over the file: info lines, on the terminal and in the file, up to the last one
  const info = await startAndStop(dir, [], { HYPERNET_LOG_LEVEL: 'info' }, t)
  assert.match(info, /INFO {2}joining the DHT: waiting for a bootstrap node to answer/)
  const lines = async () =>
    (await readFile(join(dir, 'logs', 'host.log'), 'utf8'))
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l))
  const first = await lines()
  assert.ok(first.some((l) => l.msg.startsWith('joining the DHT')))
  assert.equal(first.at(-1).msg, 'host stopped', 'the last line is written before the process exits')
  assert.ok(first.every((l) => l.level !== 'debug'))
  // the flag wins over the environment: nothing below warn, anywhere
  const warn = await startAndStop(dir, ['--log-level', 'warn'], { HYPERNET_LOG_LEVEL: 'debug' }, t)
  assert.doesNotMatch(warn, /INFO|DEBUG/)
  assert.deepEqual(
    (await lines()).slice(first.length).filter((l) => l.level === 'info' || l.level === 'debug'),
    []
  )
  // and the file alone applies when nothing else is set: warn
  const fromFile = await startAndStop(dir, [], {}, t)
  assert.doesNotMatch(fromFile, /INFO|DEBUG/)
})
