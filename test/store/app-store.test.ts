import test from 'node:test'
import assert from 'node:assert/strict'
import { mkdir, readdir, readFile, utimes, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { verifyApp } from '../../host/audit/audit-app.ts'
import { createAppStore } from '../../host/store/app-store.ts'
import { generateKeyPair } from '../../host/manifest/signing.ts'
import { draftFor, makeSignedApp, tempDir } from '../helpers/app-fixture.ts'
import { teardown } from '../helpers/teardown.ts'

async function setup(t: any) {
  const defer = teardown(t)
  const tmp = await tempDir()
  defer(tmp.cleanup)
  const store = createAppStore({ dir: join(tmp.dir, 'store') })
  await store.ready()
  defer(() => store.close())
  return { store, dir: tmp.dir }
}

async function verified(dir: string, name: string, version = '1.0.0', salt = '', keyPair = generateKeyPair()) {
  const sub = join(dir, `${name}-${version}${salt}`)
  await mkdir(sub, { recursive: true })
  const a = await makeSignedApp({ name, dir: sub, module: { salt: `${version}${salt}` }, draft: { ...draftFor(name), app: { name, version } }, keyPair })
  return verifyApp({ wasmFile: a.wasmFile, manifestFile: a.manifestFile })
}

test('installs an app content-addressed by code hash, and lists it', async (t) => {
  const { store } = await setup(t)
  const v = await verified(store.dir, 'echo')
  const out = await store.install(v.manifest, v.wasm)
  assert.equal(out.status, 'installed')
  assert.equal(out.app.codeHash, v.codeHash)
  const files = store.filesOf(out.app)
  assert.ok(files.wasm.includes(v.codeHash))
  assert.deepEqual(await readFile(files.wasm), v.wasm)
  assert.deepEqual(
    (await store.list()).map((a) => a.name),
    ['echo']
  )
  assert.equal((await store.get(v.codeHash)).name, 'echo')
})

test('reinstalling the same code is a no-op', async (t) => {
  const { store } = await setup(t)
  const v = await verified(store.dir, 'echo')
  const first = await store.install(v.manifest, v.wasm)
  const again = await store.install(v.manifest, v.wasm)
  assert.equal(again.status, 'unchanged')
  assert.equal(again.app.installedAt, first.app.installedAt)
})

test('a new version of the same app is an upgrade that replaces the old one', async (t) => {
  const { store } = await setup(t)
  const kp = generateKeyPair()
  const v1 = await verified(store.dir, 'echo', '1.0.0', '', kp)
  const v2 = await verified(store.dir, 'echo', '1.1.0', '', kp)
  await store.install(v1.manifest, v1.wasm)
  const out = await store.install(v2.manifest, v2.wasm)
  assert.equal(out.status, 'upgraded')
  assert.equal(out.previous?.version, '1.0.0')
  assert.deepEqual(
    (await store.list()).map((a) => a.version),
    ['1.1.0']
  )
  assert.deepEqual(await readdir(join(store.dir, 'apps')), [`${v2.codeHash}-echo`])
})

test('uninstall removes the app by name or code hash; unknown apps are APP_NOT_FOUND', async (t) => {
  const { store } = await setup(t)
  const v = await verified(store.dir, 'echo')
  await store.install(v.manifest, v.wasm)
  await store.uninstall(v.codeHash)
  assert.deepEqual(await store.list(), [])
  assert.deepEqual(await readdir(join(store.dir, 'apps')), [])
  await assert.rejects(store.uninstall('echo'), { code: 'APP_NOT_FOUND' })
})

test('installs running at once all land, and the index stays whole', async (t) => {
  const { store } = await setup(t)
  const apps = await Promise.all(['a', 'b', 'c', 'd', 'e', 'f'].map((n) => verified(store.dir, n)))
  // a second store object on the same folder stands in for a second process
  const other = createAppStore({ dir: store.dir })
  const results = await Promise.all(apps.flatMap((v, i) => [store.install(v.manifest, v.wasm), (i % 2 ? other : store).install(v.manifest, v.wasm)]))
  assert.equal(results.filter((r) => r.status === 'installed').length, 6)
  assert.deepEqual(
    (await store.list()).map((a) => a.name),
    ['a', 'b', 'c', 'd', 'e', 'f']
  )
  assert.deepEqual(await readdir(join(store.dir, 'staging')), [])
})

test('a crash mid-install leaves the store as it was, and leftovers are swept', async (t) => {
  const { store, dir } = await setup(t)
  const v = await verified(dir, 'echo')
  await store.install(v.manifest, v.wasm)
  const before = await readFile(join(store.dir, 'index.json'), 'utf8')
  // what a crash leaves: a staging folder and an app folder the index never named
  const stale = join(store.dir, 'staging', 'deadbeef-crash')
  await mkdir(stale)
  await writeFile(join(stale, 'app.wasm'), 'half')
  const old = new Date(Date.now() - 3600_000)
  await utimes(stale, old, old)
  await mkdir(join(store.dir, 'apps', 'f'.repeat(64)))
  const reopened = createAppStore({ dir: store.dir })
  await reopened.ready()
  assert.equal(await readFile(join(store.dir, 'index.json'), 'utf8'), before)
  assert.deepEqual(await readdir(join(store.dir, 'staging')), [])
  assert.deepEqual(await readdir(join(store.dir, 'apps')), [`${v.codeHash}-echo`])
  assert.deepEqual(
    (await reopened.list()).map((a) => a.name),
    ['echo']
  )
})
