import assert from 'node:assert/strict'
import { execFile } from 'node:child_process'
import { mkdir, symlink, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import test from 'node:test'
import { fileURLToPath } from 'node:url'
import { promisify } from 'node:util'
import { createHarness } from '../../host/index.ts'
import { tempDir } from '../helpers/app-fixture.ts'
import { builtApp } from '../helpers/plugin-apps.ts'
import { teardown } from '../helpers/teardown.ts'
import { buildDist } from '../../scripts/build-dist.js'

/**
 * `import { createHarness } from 'hypernet-host'` from a project that depends on the package (here
 * the checkout, linked as npm links a `file:` dependency), on Node alone: the `exports` map points
 * at the built library, dist/index.js.
 */

const run = promisify(execFile)
const ROOT = fileURLToPath(new URL('../../', import.meta.url))

const SCRIPT = `
import { readFile } from 'node:fs/promises'
import { createRequire } from 'node:module'
import { dirname, join } from 'node:path'
import { createDuplexPair, createHarness } from 'hypernet-host'
const root = dirname(createRequire(import.meta.url).resolve('hypernet-host/package.json'))
const wasm = await readFile(join(root, 'build/plugins/echo.wasm'))
const manifest = JSON.parse(await readFile(join(root, 'manifests/echo.draft.json'), 'utf8'))
const h = createHarness({ wasm, manifest })
await h.ready()
const c = h.open('echo')
await c.write('hi from a project')
console.log((await c.read(17)).toString())
await h.close()
try {
  createHarness({ wasm, manifest: { ...manifest, services: [{ ...manifest.services[0], prot: 'stream' }] } })
} catch (err) {
  console.log(err.message)
}
// the pretend peer hosts docs/plugins.md hands a harness's mesh
const [a, b] = createDuplexPair()
const got = new Promise((resolve) => b.once('data', resolve))
a.write('a pretend peer')
console.log(String(await got))
`

test('a project that depends on hypernet-host imports createHarness and createDuplexPair from the package name', { timeout: 60_000 }, async (t) => {
  const defer = teardown(t)
  await buildDist()
  const tmp = await tempDir('hn-exports-')
  defer(tmp.cleanup)
  const project = join(tmp.dir, 'project')
  await mkdir(join(project, 'node_modules'), { recursive: true })
  await writeFile(join(project, 'package.json'), JSON.stringify({ name: 'p', type: 'module', dependencies: { 'hypernet-host': `file:${ROOT}` } }))
  await symlink(ROOT, join(project, 'node_modules', 'hypernet-host'), 'dir')
  await writeFile(join(project, 'test.js'), SCRIPT)
  const env = { ...process.env }
  delete env.NODE_OPTIONS
  const r = await run(process.execPath, ['test.js'], { cwd: project, env })
  const lines = r.stdout.trim().split('\n')
  assert.equal(lines[0], 'hi from a project')
  assert.match(lines[1], /^MANIFEST_INVALID: \/services\/0: unknown field "prot"$/)
  assert.equal(lines[2], 'a pretend peer', 'createDuplexPair comes from the package name too')
  assert.equal(lines.length, 3, r.stdout)
})

test('createHarness rejects a bad manifest with a one-line MANIFEST_INVALID naming the field', async () => {
  const app = await builtApp('plugins', 'echo')
  const bad = (m: Record<string, any>) => () => createHarness({ wasm: app.wasm, manifest: m as any })
  assert.throws(bad({ ...app.manifest, app: { ...app.manifest.app, nmae: 'echo' } }), (err: any) => {
    assert.equal(err.code, 'MANIFEST_INVALID')
    assert.match(err.message, /^MANIFEST_INVALID: \/app: unknown field "nmae"$/)
    assert.ok(!err.message.includes('\n'), 'one line')
    return true
  })
  assert.throws(bad({ ...app.manifest, limits: { memoryMiB: 'lots' } }), { code: 'MANIFEST_INVALID', message: /^MANIFEST_INVALID: \/limits\/memoryMiB: / })
  assert.throws(bad({}), { code: 'MANIFEST_INVALID' })
})

test('harness.open names a service the manifest does not declare, instead of a reset connection', async (t) => {
  const app = await builtApp('plugins', 'echo')
  const h = createHarness({ wasm: app.wasm, manifest: app.manifest })
  t.after(() => h.close())
  await h.ready()
  assert.throws(() => h.open('nosuch'), { code: 'USAGE', message: 'USAGE: open: echo declares no service "nosuch" (its manifest\'s services: echo)' })
  assert.throws(() => h.open('echo', { app: 'other' }), { code: 'APP_NOT_FOUND' })
  const c = h.open('echo')
  await c.write('still fine')
  assert.equal((await c.read(10)).toString(), 'still fine')
})
