import test from 'node:test'
import type { TestContext } from 'node:test'
import assert from 'node:assert/strict'
import { mkdir, readFile, rm } from 'node:fs/promises'
import { join } from 'node:path'
import { makeSignedApp, tempDir } from '../helpers/app-fixture.ts'
import { teardown } from '../helpers/teardown.ts'
import { cli } from '../helpers/cli.ts'

async function setup(t: TestContext) {
  const defer = teardown(t)
  const tmp = await tempDir()
  defer(tmp.cleanup)
  return { dir: tmp.dir, home: join(tmp.dir, 'home') }
}

test('list shows an app whose folder is missing as broken and lists the rest', { timeout: 30_000 }, async (t) => {
  const s = await setup(t)
  await mkdir(join(s.dir, 'a'))
  await mkdir(join(s.dir, 'b'))
  const a = await makeSignedApp({ name: 'alpha', dir: join(s.dir, 'a') })
  const b = await makeSignedApp({ name: 'beta', dir: join(s.dir, 'b'), module: { salt: 'b' } })
  assert.equal((await cli(s.home, ['install', a.wasmFile, '--yes'])).code, 0)
  assert.equal((await cli(s.home, ['install', b.wasmFile, '--yes'])).code, 0)
  const index = JSON.parse(await readFile(join(s.home, 'store', 'index.json'), 'utf8'))
  const folder = join(s.home, 'store', 'apps', index.apps.alpha.folder)
  await rm(folder, { recursive: true })
  const out = await cli(s.home, ['list'])
  assert.equal(out.code, 0, out.stderr)
  const lines = out.stdout.split('\n')
  assert.match(lines[0], /^alpha 1\.0\.0 BROKEN {2}code [0-9a-f]{64}/)
  assert.equal(lines[1], `  ${join(folder, 'manifest.json')} is missing; reinstall it, or uninstall alpha`)
  assert.match(lines[2], /^beta 1\.0\.0 {2}code /)
  assert.match(lines[3], /^ {2}beta {9}port 7 /)
  const json = JSON.parse((await cli(s.home, ['list', '--json'])).stdout)
  assert.deepEqual(
    json.map((x: any) => [x.name, Boolean(x.broken), x.services.length]),
    [
      ['alpha', true, 0],
      ['beta', false, 1]
    ]
  )
})
