import test from 'node:test'
import assert from 'node:assert/strict'
import { tempDir } from '../helpers/app-fixture.ts'
import { teardown } from '../helpers/teardown.ts'
import { cli, oneLine } from '../helpers/cli.ts'

const HASH = 'ab'.repeat(32)

async function home(t: any): Promise<string> {
  const tmp = await tempDir()
  teardown(t)(tmp.cleanup)
  return tmp.dir
}

/** Run, and expect exit 2 with exactly this one line on stderr and nothing on stdout. */
async function usage(dir: string, argv: string[], line: string): Promise<void> {
  const r = await cli(dir, argv)
  assert.equal(oneLine(r.stderr), line, argv.join(' '))
  assert.equal(r.code, 2, argv.join(' '))
  assert.equal(r.stdout, '')
}

test('a number flag given text names the flag and quotes what was typed, exit 2', { timeout: 60_000 }, async (t) => {
  const dir = await home(t)
  await usage(dir, ['logs', '--lines', 'abc'], 'USAGE: --lines: expected a number, got "abc"')
  await usage(dir, ['logs', '-n', 'abc'], 'USAGE: --lines: expected a number, got "abc"')
  await usage(dir, ['stop', '--timeout=abc'], 'USAGE: --timeout: expected a number, got "abc"')
  await usage(dir, ['lookup', HASH, '--limit', 'abc'], 'USAGE: --limit: expected a number, got "abc"')
  await usage(dir, ['start', '--port', 'abc'], 'USAGE: --port: expected a number, got "abc"')
  await usage(dir, ['start', '--idle-stop', 'abc'], 'USAGE: --idle-stop: expected a number, got "abc"')
  await usage(dir, ['endorse', HASH, '--app', 'echo', '--days', 'abc'], 'USAGE: --days: expected a number, got "abc"')
  // connect looked for the peer with a NaN deadline and said PEER_NOT_FOUND (exit 1)
  await usage(dir, ['connect', HASH, '--timeout', 'abc'], 'USAGE: --timeout: expected a number, got "abc"')
})

test('connect, install, audit and upgrade refuse a --timeout that is not a positive number before any work', { timeout: 60_000 }, async (t) => {
  const dir = await home(t)
  for (const bad of ['0', '-1']) {
    for (const argv of [['connect', HASH], ['install', HASH], ['audit', HASH], ['upgrade']]) {
      await usage(dir, [...argv, '--timeout', bad], `USAGE: --timeout: expected a positive number of seconds, got ${bad}`)
    }
  }
})

test('bridge listen without --port and bridge expose without --name say the flag is required', { timeout: 30_000 }, async (t) => {
  const dir = await home(t)
  await usage(dir, ['bridge', 'listen', HASH], 'USAGE: bridge listen: --port is required: the local TCP port to open (e.g. --port 8080)')
  await usage(dir, ['bridge', 'expose', '127.0.0.1:3000'], 'USAGE: bridge expose: --name is required: the service name to publish it under (e.g. --name web)')
})
