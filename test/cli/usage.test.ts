import test from 'node:test'
import assert from 'node:assert/strict'
import { access } from 'node:fs/promises'
import { join } from 'node:path'
import { installExamples } from '../../host/demo/install-examples.ts'
import { tempDir } from '../helpers/app-fixture.ts'
import { teardown } from '../helpers/teardown.ts'
import { cli, oneLine } from '../helpers/cli.ts'

const exists = (file: string) =>
  access(file).then(
    () => true,
    () => false
  )

async function home(t: any): Promise<string> {
  const defer = teardown(t)
  const tmp = await tempDir()
  defer(tmp.cleanup)
  return tmp.dir
}

test('a usage error changes nothing: uninstall with an unknown option leaves the app installed', { timeout: 30_000 }, async (t) => {
  const dir = await home(t)
  await installExamples(dir, ['echo'])
  const r = await cli(dir, ['uninstall', 'echo', '--dry-run'])
  assert.equal(r.code, 2)
  assert.equal(oneLine(r.stderr), 'USAGE: uninstall: unknown option --dry-run (see hypernet-host uninstall --help)')
  assert.equal(r.stdout, '')
  const list = JSON.parse((await cli(dir, ['list', '--json'])).stdout)
  assert.deepEqual(
    list.map((a: { name: string }) => a.name),
    ['echo']
  )
})

test('a usage error changes nothing: keys generate with a misspelt option creates no key', { timeout: 30_000 }, async (t) => {
  const dir = await home(t)
  const r = await cli(dir, ['keys', 'generate', '--name', 'x', '--forcee'])
  assert.equal(r.code, 2)
  assert.equal(oneLine(r.stderr), 'USAGE: keys: unknown option --forcee (see hypernet-host keys --help)')
  assert.equal(r.stdout, '')
  assert.equal(await exists(join(dir, 'keys', 'x.key')), false)
})

test('status with an unknown option prints nothing but the usage line', { timeout: 30_000 }, async (t) => {
  const dir = await home(t)
  const r = await cli(dir, ['status', '--bogus'])
  assert.equal(r.code, 2)
  assert.equal(oneLine(r.stderr), 'USAGE: status: unknown option --bogus (see hypernet-host status --help)')
})

test('a missing positional gives one USAGE line naming what was expected, exit 2', { timeout: 30_000 }, async (t) => {
  const dir = await home(t)
  for (const [cmd, wanted] of [
    ['install', '<wasm>'],
    ['sign', '<wasm>'],
    ['uninstall', '<app>'],
    ['audit', '<file>'],
    ['lookup', '<hash>']
  ]) {
    const r = await cli(dir, [cmd])
    assert.equal(r.code, 2, `${cmd}: ${r.stderr}`)
    assert.equal(oneLine(r.stderr), `USAGE: ${cmd}: expected ${wanted}, got nothing (see hypernet-host ${cmd} --help)`)
  }
})

test('a usage error with --json is one JSON object on stdout and nothing on stderr', { timeout: 30_000 }, async (t) => {
  const dir = await home(t)
  const r = await cli(dir, ['list', '--bogus', '--json'])
  assert.equal(r.code, 2)
  assert.deepEqual(JSON.parse(r.stdout), { ok: false, code: 'USAGE', error: 'USAGE: list: unknown option --bogus (see hypernet-host list --help)' })
  assert.equal(r.stderr, '')
})

test('a wrong word, option or value is named in one line, with what is accepted', { timeout: 60_000 }, async (t) => {
  const dir = await home(t)
  const cases: Array<[string[], string]> = [
    [['config', 'get', 'port'], 'config: "get" is not one of show, set, unset'],
    [['firewall', 'frob'], 'firewall: "frob" is not one of allow, deny, remove, list'],
    [['trust', 'frob'], 'trust: "frob" is not one of add, remove, list'],
    [['kv', 'x'], 'kv: "x" is not one of put, get, rm, ls, pin, unpin'],
    [['bridge', 'x'], 'bridge: "x" is not one of listen, expose, remove, list'],
    [['hosts', 'x'], 'hosts: "x" is not one of trust, untrust, list'],
    [['serving', 'maybe'], 'serving: "maybe" is not one of on, off, status'],
    [['completion', 'fish'], 'completion: "fish" is not one of bash, zsh'],
    [['keys', 'frob'], 'keys: "frob" is not one of generate, show'],
    [['stauts'], 'unknown command "stauts"; did you mean status?'],
    [['sign', 'echo.wasm'], 'sign: missing required option --manifest (see hypernet-host sign --help)'],
    [['list', '--frob', '--zap'], 'list: unknown options --frob, --zap (see hypernet-host list --help)'],
    [['list', 'extra'], 'list: unknown argument "extra" (see hypernet-host list --help)']
  ]
  for (const [argv, line] of cases) {
    const r = await cli(dir, argv)
    assert.equal(oneLine(r.stderr), `USAGE: ${line}`, argv.join(' '))
    assert.equal(r.code, 2, argv.join(' '))
  }
})

test('usage errors are in English and whole under another locale (yargs follows LANG)', { timeout: 30_000 }, async (t) => {
  const tmp = await tempDir()
  teardown(t)(tmp.cleanup)
  const saved = { LC_ALL: process.env.LC_ALL, LANG: process.env.LANG }
  process.env.LC_ALL = process.env.LANG = 'de_DE.UTF-8'
  try {
    const r = await cli(tmp.dir, ['config', 'get', 'port'])
    assert.equal(r.code, 2)
    assert.equal(oneLine(r.stderr), 'USAGE: config: "get" is not one of show, set, unset')
  } finally {
    for (const [k, v] of Object.entries(saved))
      if (v === undefined) delete process.env[k]
      else process.env[k] = v
  }
})
