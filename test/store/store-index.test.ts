import test from 'node:test'
import assert from 'node:assert/strict'
import type { TestContext } from 'node:test'
import { mkdir, readFile, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { appFolder, checkIndex } from '../../host/store/store-index.ts'
import { makeSignedApp, tempDir } from '../helpers/app-fixture.ts'
import { teardown } from '../helpers/teardown.ts'
import { cli, oneLine } from '../helpers/cli.ts'

const HASH = 'ab'.repeat(32)
const PUB = 'cd'.repeat(32)
const entry = (extra: Record<string, unknown> = {}) => ({
  name: 'echo',
  version: '1.0.0',
  codeHash: HASH,
  publisher: PUB,
  enabled: true,
  installedAt: '2026-01-01T00:00:00Z',
  folder: `${HASH}-echo`,
  ...extra
})
const index = (extra: Record<string, unknown> = {}, top: Record<string, unknown> = {}) => ({
  version: 1,
  apps: { echo: entry(extra) },
  pins: { echo: PUB },
  ...top
})

test('a well-formed index passes, with per-name, legacy and absent folders', { timeout: 5_000 }, () => {
  assert.equal(checkIndex('i.json', index()).apps.echo.codeHash, HASH)
  assert.equal(checkIndex('i.json', index({ folder: HASH })).apps.echo.folder, HASH)
  assert.equal(checkIndex('i.json', index({ folder: undefined }, { pins: undefined })).apps.echo.folder, undefined)
})

test('every bad field of an index entry is refused with STORE_INDEX_INVALID naming it', { timeout: 5_000 }, () => {
  const cases: Array<[unknown, string]> = [
    [null, 'i.json: expected a JSON object { version, apps, pins }, got null'],
    [index({}, { version: 2 }), 'i.json: version: expected 1, got number 2'],
    [index({}, { apps: [] }), 'i.json: apps: expected an object of app name -> app, got an array'],
    [index({ name: '../x' }), 'i.json: apps["echo"].name: expected an app name (lowercase letters, digits and dashes, at most 64), got "../x"'],
    [index({ name: 'other' }), 'i.json: apps["echo"].name: expected the entry\'s own key "echo", got "other"'],
    [index({ codeHash: '../../victim' }), 'i.json: apps["echo"].codeHash: expected 64 lowercase hex characters, got "../../victim"'],
    [index({ codeHash: HASH.toUpperCase() }), `i.json: apps["echo"].codeHash: expected 64 lowercase hex characters, got "${HASH.toUpperCase()}"`],
    [index({ publisher: 5 }), 'i.json: apps["echo"].publisher: expected 64 lowercase hex characters, got number 5'],
    [
      index({ folder: `${HASH}-other` }),
      `i.json: apps["echo"].folder: expected "<codeHash>-<name>[.<6 hex>]" or "<codeHash>" (abababab…-echo), got "${HASH}-other"`
    ],
    [
      index({ folder: '../../victim' }),
      'i.json: apps["echo"].folder: expected "<codeHash>-<name>[.<6 hex>]" or "<codeHash>" (abababab…-echo), got "../../victim"'
    ],
    [index({ enabled: 'yes' }), 'i.json: apps["echo"].enabled: expected true or false, got "yes"'],
    [index({}, { pins: { echo: '../x' } }), 'i.json: pins["echo"]: expected 64 lowercase hex characters, got "../x"']
  ]
  for (const [value, message] of cases) {
    assert.throws(() => checkIndex('i.json', value), {
      code: 'STORE_INDEX_INVALID',
      message: `STORE_INDEX_INVALID: ${message}; nothing was changed (fix or remove that entry, or move the file aside to start an empty store)`
    })
  }
})

test('an app folder is always directly inside apps/', { timeout: 5_000 }, () => {
  const apps = join('/home', 'store', 'apps')
  assert.equal(appFolder(apps, `${HASH}-echo`, 'i.json'), join(apps, `${HASH}-echo`))
  for (const bad of ['..', '.', '', '../../victim', 'a/b', 'a/../../x'])
    assert.throws(() => appFolder(apps, bad, 'i.json'), { code: 'STORE_INDEX_INVALID' }, bad)
})

async function setup(t: TestContext) {
  const defer = teardown(t)
  const tmp = await tempDir()
  defer(tmp.cleanup)
  return { dir: tmp.dir, home: join(tmp.dir, 'home') }
}

test('a crafted store index cannot make uninstall delete a folder outside the home', { timeout: 30_000 }, async (t) => {
  const s = await setup(t)
  const app = await makeSignedApp({ dir: s.dir })
  assert.equal((await cli(s.home, ['install', app.wasmFile, '--yes'])).code, 0)
  const victim = join(s.dir, 'victim')
  await mkdir(victim)
  await writeFile(join(victim, 'precious.txt'), 'keep me')
  const indexFile = join(s.home, 'store', 'index.json')
  const index = JSON.parse(await readFile(indexFile, 'utf8'))
  for (const [field, value] of [
    ['codeHash', '../../../victim'],
    ['folder', '../../../victim']
  ]) {
    const crafted = structuredClone(index)
    crafted.apps.echo[field] = value
    if (field === 'codeHash') delete crafted.apps.echo.folder
    await writeFile(indexFile, JSON.stringify(crafted))
    for (const argv of [['uninstall', 'echo'], ['list']]) {
      const out = await cli(s.home, argv)
      assert.equal(await readFile(join(victim, 'precious.txt'), 'utf8').catch(() => 'deleted'), 'keep me', `${argv[0]} with a crafted ${field}`)
      assert.equal(out.code, 4, `${argv[0]} with a crafted ${field}`)
      assert.equal(
        oneLine(out.stderr),
        `STORE_INDEX_INVALID: ${indexFile}: apps["echo"].${field}: expected ${field === 'codeHash' ? '64 lowercase hex characters' : `"<codeHash>-<name>[.<6 hex>]" or "<codeHash>" (${index.apps.echo.codeHash.slice(0, 8)}…-echo)`}, got "../../../victim"; nothing was changed (fix or remove that entry, or move the file aside to start an empty store)`
      )
    }
    assert.equal(await readFile(indexFile, 'utf8'), JSON.stringify(crafted), 'the index is left as it was')
  }
})
