import test from 'node:test'
import assert from 'node:assert/strict'
import { readFile, stat, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { draftFor, tempDir } from '../helpers/app-fixture.ts'
import { buildModule } from '../helpers/wasm-builder.ts'
import { teardown } from '../helpers/teardown.ts'
import { cli } from '../helpers/cli.ts'

async function setup(t: any) {
  const defer = teardown(t)
  const tmp = await tempDir()
  defer(tmp.cleanup)
  const home = join(tmp.dir, 'home')
  const wasm = join(tmp.dir, 'echo.wasm')
  await writeFile(wasm, buildModule())
  await writeFile(join(tmp.dir, 'echo.draft.json'), JSON.stringify(draftFor('echo'), null, 2))
  return { home, dir: tmp.dir, wasm, draft: join(tmp.dir, 'echo.draft.json'), manifest: join(tmp.dir, 'echo.manifest.json') }
}

test('the README walkthrough: keys, sign, audit, install, list, uninstall', async (t) => {
  const s = await setup(t)
  const gen = await cli(s.home, ['keys', 'generate', '--json'])
  assert.equal(gen.code, 0, gen.stderr)
  const key = JSON.parse(gen.stdout)
  assert.match(key.publicKey, /^[0-9a-f]{64}$/)
  assert.equal((await stat(key.file)).mode & 0o777, 0o600)
  assert.ok(!gen.stdout.includes(JSON.parse(await readFile(key.file, 'utf8')).secretKey), 'the secret is never printed')
  assert.equal((await cli(s.home, ['keys', 'show'])).stdout.split('\n')[0], `public key  ${key.publicKey}`)

  const signed = await cli(s.home, ['sign', s.wasm, '--manifest', s.draft])
  assert.equal(signed.code, 0, signed.stderr)
  assert.match(signed.stdout, /signed echo 1\.0\.0 -> .*echo\.manifest\.json/)
  assert.match(signed.stdout, /service {4}echo \(port 7\) {2}[0-9a-f]{64}/)

  const audit = await cli(s.home, ['audit', s.wasm])
  assert.equal(audit.code, 0, audit.stderr)
  assert.equal(audit.stdout.split('\n')[0], 'ok: echo 1.0.0 passed every check')
  assert.match(audit.stdout, /publisher {4}[0-9a-f]{64} \(not trusted\)/)

  const auditJson = JSON.parse((await cli(s.home, ['audit', s.manifest, '--json'])).stdout)
  assert.equal(auditJson.ok, true)

  const inst = await cli(s.home, ['install', s.wasm, '--yes'])
  assert.equal(inst.code, 0, inst.stderr)
  assert.match(inst.stdout, /^installed echo 1\.0\.0 \(code hash [0-9a-f]{64}\)/)
  assert.match((await cli(s.home, ['install', s.wasm, '--yes'])).stdout, /already installed/)

  const list = JSON.parse((await cli(s.home, ['list', '--json'])).stdout)
  assert.equal(list.length, 1)
  assert.equal(list[0].services[0].hash, auditJson.services[0].hash)

  const un = await cli(s.home, ['uninstall', 'echo'])
  assert.equal(un.code, 0, un.stderr)
  assert.match((await cli(s.home, ['list'])).stdout, /no apps installed/)
})

test('install without a terminal and without --yes refuses, and writes nothing', async (t) => {
  const s = await setup(t)
  await cli(s.home, ['keys', 'generate'])
  await cli(s.home, ['sign', s.wasm, '-m', s.draft])
  const r = await cli(s.home, ['install', s.wasm])
  assert.equal(r.code, 1)
  assert.match(r.stderr, /^CONSENT_REQUIRED: installing needs your consent/)
  assert.deepEqual(JSON.parse((await cli(s.home, ['list', '--json'])).stdout), [])
})

test('install asks for consent on a terminal, listing the privileges; "no" installs nothing', async (t) => {
  const s = await setup(t)
  await cli(s.home, ['keys', 'generate'])
  await cli(s.home, ['sign', s.wasm, '-m', s.draft])
  const no = await cli(s.home, ['install', s.wasm], { interactive: true, answer: 'n' })
  assert.equal(no.code, 1)
  assert.match(no.stderr, /is requesting the following privileges:/)
  assert.match(no.stderr, /accept connections from any peer on service "echo" \(port 7\)/)
  assert.match(no.stderr, /CONSENT_DENIED/)
  const yes = await cli(s.home, ['install', s.wasm], { interactive: true, answer: 'y' })
  assert.equal(yes.code, 0, yes.stderr)
})

test('install --yes lists what it consented to on stderr; with -q it prints nothing there', async (t) => {
  const s = await setup(t)
  await cli(s.home, ['keys', 'generate'])
  await cli(s.home, ['sign', s.wasm, '-m', s.draft])
  const loud = await cli(s.home, ['install', s.wasm, '--yes'])
  assert.equal(loud.code, 0, loud.stderr)
  assert.match(loud.stderr, /is requesting the following privileges:/)
  assert.equal((await cli(s.home, ['uninstall', 'echo'])).code, 0)
  const quiet = await cli(s.home, ['install', s.wasm, '--yes', '-q'])
  assert.equal(quiet.code, 0, quiet.stderr)
  assert.equal(quiet.stderr, '')
  assert.match(quiet.stdout, /^installed echo/, 'the outcome is data: -q keeps it')
})

test('a trusted publisher installs without a prompt', async (t) => {
  const s = await setup(t)
  const key = JSON.parse((await cli(s.home, ['keys', 'generate', '--json'])).stdout).publicKey
  await cli(s.home, ['sign', s.wasm, '-m', s.draft])
  assert.equal((await cli(s.home, ['trust', 'add', key, '--label', 'me'])).code, 0)
  assert.match((await cli(s.home, ['trust', 'list'])).stdout, new RegExp(`${key}  me`))
  const r = await cli(s.home, ['install', s.wasm])
  assert.equal(r.code, 0, r.stderr)
  assert.equal((await cli(s.home, ['trust', 'remove', key])).code, 0)
  assert.equal((await cli(s.home, ['trust', 'add', 'nonsense'])).code, 2)
})

test('each tampering case is refused with one line, exit 4, and the store untouched', async (t) => {
  const s = await setup(t)
  await cli(s.home, ['keys', 'generate'])
  await cli(s.home, ['sign', s.wasm, '-m', s.draft])
  const good = await readFile(s.manifest, 'utf8')
  const cases: Array<[string, () => Promise<void>, RegExp]> = [
    ['wasm changed', () => writeFile(s.wasm, buildModule({ salt: 'evil' })), /^CODE_HASH_MISMATCH: /],
    ['manifest changed', async () => writeFile(s.manifest, good.replace('"port": 7', '"port": 8')), /^SIGNATURE_INVALID: /],
    ['not json', () => writeFile(s.manifest, 'nope'), /^MANIFEST_NOT_JSON: .*echo\.manifest\.json: expected a JSON manifest/],
    [
      'schema',
      async () => writeFile(s.manifest, good.replace('"protocol": "stream"', '"protocol": "udp"')),
      /^MANIFEST_INVALID: .*#\/services\/0\/protocol: expected one of "stream", got "udp"/
    ],
    ['not wasm', () => writeFile(s.wasm, 'MZ not wasm'), /^WASM_INVALID: /]
  ]
  for (const [name, tamper, expected] of cases) {
    await writeFile(s.wasm, buildModule())
    await writeFile(s.manifest, good)
    await tamper()
    for (const cmd of [
      ['audit', s.wasm],
      ['install', s.wasm, '--yes']
    ]) {
      const r = await cli(s.home, cmd)
      assert.equal(r.code, 4, `${name}: ${cmd[0]} exit code (${r.stderr})`)
      assert.match(r.stderr.split('\n')[0], expected, name)
    }
  }
  const list = JSON.parse((await cli(s.home, ['list', '--json'])).stdout)
  assert.deepEqual(list, [])
})

test('usage errors exit 2 with one line: a missing manifest, a missing key, an unknown command', async (t) => {
  const s = await setup(t)
  const noKey = await cli(s.home, ['sign', s.wasm, '-m', s.draft])
  assert.equal(noKey.code, 2)
  assert.match(noKey.stderr, /^KEY_NOT_FOUND: .*publisher\.key: no key there/)
  const noManifest = await cli(s.home, ['install', s.wasm, '--yes'])
  assert.equal(noManifest.code, 2)
  assert.match(noManifest.stderr, /^FILE_NOT_FOUND: .*echo\.manifest\.json: manifest not found/)
  const unknown = await cli(s.home, ['frobnicate'])
  assert.equal(unknown.code, 2)
  assert.equal(unknown.stderr.trim().split('\n').length, 1)
  assert.equal((await cli(s.home, ['uninstall', 'ghost'])).code, 2)
})

test('--json errors are machine-readable on stdout', async (t) => {
  const s = await setup(t)
  const r = await cli(s.home, ['keys', 'show', '--json'])
  assert.equal(r.code, 2)
  assert.deepEqual(Object.keys(JSON.parse(r.stdout)), ['ok', 'code', 'error'])
  assert.equal(JSON.parse(r.stdout).code, 'KEY_NOT_FOUND')
})

test('new scaffolds a project, and refuses a folder that is not empty or a bad name', async (t) => {
  const s = await setup(t)
  const dir = `${s.dir}/hello`
  const r = await cli(s.home, ['new', 'hello', '--dir', dir])
  assert.equal(r.code, 0, r.stderr)
  assert.match(r.stdout, /created hello in .*hello\n {2}package\.json/)
  assert.ok(JSON.parse(await readFile(`${dir}/hello.draft.json`, 'utf8')).app.name === 'hello')
  const again = await cli(s.home, ['new', 'hello', '--dir', dir])
  assert.equal(again.code, 2)
  assert.match(again.stderr, /^FILE_EXISTS: /)
  const bad = await cli(s.home, ['new', 'Bad Name!', '--dir', `${s.dir}/x`])
  assert.equal(bad.code, 2)
  assert.match(bad.stderr, /^USAGE: /)
})
