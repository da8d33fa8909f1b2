import test from 'node:test'
import assert from 'node:assert/strict'
import { mkdir, readdir, rm, symlink, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { draftFor, tempDir } from '../helpers/app-fixture.ts'
import { buildModule } from '../helpers/wasm-builder.ts'
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
  // empty, or given twice with the last empty: not a silent 0 or default
  await usage(dir, ['logs', '--lines='], 'USAGE: --lines: expected a number, got nothing')
  await usage(dir, ['logs', '--lines', ''], 'USAGE: --lines: expected a number, got nothing')
  await usage(dir, ['logs', '--lines', '5', '--lines'], 'USAGE: --lines: expected a number, got nothing')
  await usage(dir, ['logs', '-n', 'abc'], 'USAGE: --lines: expected a number, got "abc"')
  await usage(dir, ['stop', '--timeout=abc'], 'USAGE: --timeout: expected a number, got "abc"')
  await usage(dir, ['lookup', HASH, '--limit', 'abc'], 'USAGE: --limit: expected a number, got "abc"')
  await usage(dir, ['start', '--port', 'abc'], 'USAGE: --port: expected a number, got "abc"')
  await usage(dir, ['start', '--idle-stop', 'abc'], 'USAGE: --idle-stop: expected a number, got "abc"')
  await usage(dir, ['endorse', HASH, '--app', 'echo', '--days', 'abc'], 'USAGE: --days: expected a number, got "abc"')
  // nothing after the flag: yargs left it unset, and the default ran in its place
  await usage(dir, ['logs', '--lines'], 'USAGE: --lines: expected a number, got nothing')
  await usage(dir, ['logs', '--lines', '--follow'], 'USAGE: --lines: expected a number, got nothing')
  // connect looked for the peer with a NaN deadline and said PEER_NOT_FOUND (exit 1)
  await usage(dir, ['connect', HASH, '--timeout', 'abc'], 'USAGE: --timeout: expected a number, got "abc"')
})

test(
  'connect (also --anonymous and --hidden), install, audit and upgrade refuse a --timeout that is not a positive number before any work',
  { timeout: 60_000 },
  async (t) => {
    const dir = await home(t)
    for (const bad of ['0', '-1']) {
      for (const argv of [
        ['connect', HASH],
        ['connect', '--anonymous', HASH],
        ['connect', '--hidden', HASH],
        ['install', HASH],
        ['audit', HASH],
        ['upgrade']
      ]) {
        await usage(dir, [...argv, '--timeout', bad], `USAGE: --timeout: expected a positive number of seconds, got ${bad}`)
      }
    }
  }
)

test('bridge listen without --port and bridge expose without --name say the flag is required', { timeout: 30_000 }, async (t) => {
  const dir = await home(t)
  await usage(dir, ['bridge', 'listen', HASH], 'USAGE: bridge listen: --port is required: the local TCP port to open (e.g. --port 8080)')
  await usage(dir, ['bridge', 'expose', '127.0.0.1:3000'], 'USAGE: bridge expose: --name is required: the service name to publish it under (e.g. --name web)')
})

test('an output path that cannot be written is refused before any work, naming the flag and the path; nothing is written', { timeout: 60_000 }, async (t) => {
  const dir = await home(t)
  const wasm = join(dir, 'echo.wasm')
  const draft = join(dir, 'echo.draft.json')
  await writeFile(wasm, buildModule())
  await writeFile(draft, JSON.stringify(draftFor('echo'), null, 2))
  assert.equal((await cli(dir, ['keys', 'generate'])).code, 0)
  const missing = join(dir, 'nosuchdir')
  const expectFile = 'expected a file path in an existing folder you can write to'
  await usage(
    dir,
    ['kv', 'get', 'fk', '--out', `${missing}/x`],
    `PATH_INVALID: --out ${missing}/x: ${expectFile}, ${missing} does not exist; nothing was written`
  )
  await usage(
    dir,
    ['sign', wasm, '--manifest', draft, '--out', `${missing}/x.json`],
    `PATH_INVALID: --out ${missing}/x.json: ${expectFile}, ${missing} does not exist; nothing was written`
  )
  await usage(dir, ['sign', wasm, '--manifest', draft, '--out', dir], `PATH_INVALID: --out ${dir}: ${expectFile}, got a folder; nothing was written`)
  await usage(
    dir,
    ['new', 'zz', '--dir', '/dev/null/zz'],
    'PATH_INVALID: --dir /dev/null/zz: expected a folder, or a path a folder can be made at, /dev/null is a file, not a folder; nothing was written'
  )
  // the write renames a temporary file over the path: a device or a link would be replaced
  await usage(
    dir,
    ['sign', wasm, '--manifest', draft, '--out', '/dev/null'],
    `PATH_INVALID: --out /dev/null: ${expectFile}, got a device, pipe or socket; nothing was written`
  )
  const link = join(dir, 'link.json')
  await symlink(join(dir, 'target.json'), link)
  await usage(
    dir,
    ['sign', wasm, '--manifest', draft, '--out', link],
    `PATH_INVALID: --out ${link}: ${expectFile}, got a symbolic link (give the path it points to); nothing was written`
  )
  await usage(dir, ['sign', wasm, '--manifest', draft, '--out', ''], `PATH_INVALID: --out "": ${expectFile}, got nothing; nothing was written`)
  await usage(dir, ['kv', 'get', 'fk', '--out='], `PATH_INVALID: --out "": ${expectFile}, got nothing; nothing was written`)
  await rm(link)
  assert.deepEqual((await readdir(dir)).sort(), ['echo.draft.json', 'echo.wasm', 'keys'])
})

test('new on a folder with files says what to do instead of a --force it does not take', { timeout: 30_000 }, async (t) => {
  const dir = await home(t)
  await mkdir(join(dir, 'hello'))
  await writeFile(join(dir, 'hello', 'mine.txt'), 'my notes')
  await usage(
    dir,
    ['new', 'hello', '--dir', join(dir, 'hello')],
    `FILE_EXISTS: ${join(dir, 'hello')}: already exists (new writes only into a missing or empty folder: choose another name or --dir, or move it aside)`
  )
  assert.deepEqual(await readdir(join(dir, 'hello')), ['mine.txt'])
  assert.equal((await cli(dir, ['new', 'hello', '--force'])).code, 2, 'no --force')
})

test('new names dev, the one-command author loop, first in its next steps', { timeout: 30_000 }, async (t) => {
  const dir = await home(t)
  const r = await cli(dir, ['new', 'hello', '--dir', join(dir, 'hello')])
  assert.equal(r.code, 0, r.stderr)
  assert.match(r.stdout, /\nnext: build, sign with a development key and install here.*\n {2}cd .*hello && .* dev\n/)
  // new was given --home: every step that uses the home says so (they would use the default)
  const steps = r.stdout.split('\n').filter((l) => / (dev$|keys generate$|sign build\/|install build\/)/.test(l))
  assert.equal(steps.length, 4, r.stdout)
  for (const step of steps) assert.ok(step.includes(` --home ${dir} `), step)
})

test('sign with a --key file that is not there does not suggest keys generate, which makes a key elsewhere', { timeout: 30_000 }, async (t) => {
  const dir = await home(t)
  const wasm = join(dir, 'echo.wasm')
  const draft = join(dir, 'echo.draft.json')
  await writeFile(wasm, buildModule())
  await writeFile(draft, JSON.stringify(draftFor('echo'), null, 2))
  const r = await cli(dir, ['sign', wasm, '--manifest', draft, '--key', join(dir, 'nosuch.key')])
  assert.equal(
    oneLine(r.stderr),
    `KEY_NOT_FOUND: ${join(dir, 'nosuch.key')}: no key there (--key: expected an existing key file; or make one in this home with keys generate --name N and sign with --key-name N)`
  )
  assert.equal(r.code, 2)
  const named = await cli(dir, ['sign', wasm, '--manifest', draft, '--key-name', 'nosuch'])
  assert.match(oneLine(named.stderr), /no key there \(create one with: hypernet-host keys generate --name nosuch\)$/)
})

test('a home or folder that cannot be made (under /proc) is PATH_INVALID in one line, exit 2, never a hang', { timeout: 30_000 }, async (t) => {
  if (process.platform !== 'linux') return t.skip('needs /proc (Linux), where Node’s own mkdir -p spins forever')
  const where = `/proc/hn-${process.pid}`
  const list = await cli(`${where}/home`, ['list'])
  assert.equal(oneLine(list.stderr), `PATH_INVALID: ${where}: cannot make this folder (ENOENT); check --home and the paths given`)
  assert.equal(list.code, 2)
  const dir = await home(t)
  await usage(dir, ['new', 'zz', '--dir', `${where}/zz`], `PATH_INVALID: ${where}: cannot make this folder (ENOENT); check --home and the paths given`)
})
