import test from 'node:test'
import assert from 'node:assert/strict'
import { mkdir, readFile, readdir, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { tempDir } from '../helpers/app-fixture.ts'
import { teardown } from '../helpers/teardown.ts'
import { cli, oneLine } from '../helpers/cli.ts'

/** A project made by `new`, in a fresh home; the build never runs unless a test asks for it. */
async function project(t: any): Promise<{ home: string; dir: string; draft: string }> {
  const tmp = await tempDir()
  teardown(t)(tmp.cleanup)
  const home = join(tmp.dir, 'home')
  const dir = join(tmp.dir, 'hello')
  assert.equal((await cli(home, ['new', 'hello', '--dir', dir])).code, 0)
  return { home, dir, draft: join(dir, 'hello.draft.json') }
}

test('dev with a draft that is not JSON names the file, as sign does (exit 4), and builds nothing', { timeout: 60_000 }, async (t) => {
  const p = await project(t)
  await writeFile(p.draft, '{"schema":')
  const r = await cli(p.home, ['dev', '--dir', p.dir])
  assert.match(oneLine(r.stderr), new RegExp(`^MANIFEST_NOT_JSON: ${p.draft}: `))
  assert.equal(r.code, 4)
  assert.ok(!(await readdir(p.dir)).includes('build'), 'checked before the build')
})

test('dev with an unknown field in the draft names the file and the field, as sign does', { timeout: 60_000 }, async (t) => {
  const p = await project(t)
  const draft = JSON.parse(await readFile(p.draft, 'utf8'))
  draft.services[0].prot = 'tcp'
  await writeFile(p.draft, JSON.stringify(draft))
  const r = await cli(p.home, ['dev', '--dir', p.dir])
  assert.equal(oneLine(r.stderr), `MANIFEST_INVALID: ${p.draft}#/services/0: unknown field "prot"`)
  assert.equal(r.code, 4)
})

test('dev whose build fails says BUILD_FAILED with its own exit code (5), not a usage error', { timeout: 60_000 }, async (t) => {
  const p = await project(t)
  const pkg = JSON.parse(await readFile(join(p.dir, 'package.json'), 'utf8'))
  pkg.scripts.build = 'node -e "process.exit(1)"'
  await writeFile(join(p.dir, 'package.json'), JSON.stringify(pkg))
  await mkdir(join(p.dir, 'node_modules')) // so dev does not run npm install first
  const r = await cli(p.home, ['dev', '--dir', p.dir])
  const last = r.stderr.trimEnd().split('\n').at(-1)
  assert.equal(last, `BUILD_FAILED: npm run build failed (exit 1) in ${p.dir}; its output is above`)
  assert.equal(r.code, 5)
})
