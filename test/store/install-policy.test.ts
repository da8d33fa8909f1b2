import test from 'node:test'
import assert from 'node:assert/strict'
import { writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { generateKeyPair } from '../../host/manifest/signing.ts'
import { createAppStore } from '../../host/store/app-store.ts'
import { compareVersions } from '../../host/store/install-policy.ts'
import { homePaths } from '../../host/home.ts'
import { cli } from '../helpers/cli.ts'
import { homeWith, release } from '../helpers/releases.ts'
import type { Release } from '../helpers/releases.ts'
import { tempDir } from '../helpers/app-fixture.ts'

async function files(dir: string, r: Release, name: string): Promise<string> {
  const wasm = join(dir, `${name}.wasm`)
  await writeFile(wasm, r.wasm)
  await writeFile(join(dir, `${name}.manifest.json`), JSON.stringify(r.manifest))
  return wasm
}

test('semantic-version precedence decides upgrades and rollbacks', () => {
  assert.equal(compareVersions('0.2.0', '0.10.0'), -1)
  assert.equal(compareVersions('1.0.0', '1.0.0-rc.1'), 1)
  assert.equal(compareVersions('1.0.0-rc.2', '1.0.0-rc.10'), -1)
  assert.equal(compareVersions('1.0.0-alpha', '1.0.0-alpha.1'), -1)
  assert.equal(compareVersions('1.2.3', '1.2.3'), 0)
})

test('the install policy holds for local files: pinned publisher, no rollback, no mix-and-match, renewals accepted', { timeout: 60_000 }, async (t) => {
  const { dir, cleanup } = await tempDir()
  t.after(cleanup)
  const P = generateKeyPair()
  const v2 = release(P, { version: '0.2.0' })
  const home = await homeWith([v2], join(dir, 'home'))
  const store = createAppStore({ dir: homePaths(home).store })
  const installed = async () => (await store.get('echo')).codeHash

  await t.test('a rollback to an older signed version is refused, exit 4, unless --allow-downgrade', async () => {
    const v1 = release(P, { version: '0.1.0' })
    const f = await files(dir, v1, 'old')
    const r = await cli(home, ['install', f, '--yes'])
    assert.equal(r.code, 4)
    assert.match(r.stderr, /^DOWNGRADE: echo 0\.2\.0 is installed; 0\.1\.0 is older/)
    assert.equal(await installed(), v2.codeHash)
  })

  await t.test('the same version with other code is refused (mix-and-match)', async () => {
    const other = release(P, { version: '0.2.0', tag: 'other' })
    const r = await cli(home, ['install', await files(dir, other, 'same'), '--yes'])
    assert.equal(r.code, 4)
    assert.match(r.stderr, /^VERSION_CONFLICT: echo 0\.2\.0 is installed with code/)
    assert.equal(await installed(), v2.codeHash)
  })

  await t.test('another publisher for the same name is refused, and replaced only with --replace-publisher and consent showing both', async () => {
    const Q = generateKeyPair()
    const q = release(Q, { version: '5.0.0', tag: 'q' })
    const f = await files(dir, q, 'q')
    const r = await cli(home, ['install', f, '--yes'])
    assert.equal(r.code, 4)
    assert.match(r.stderr, /^PUBLISHER_CHANGED: echo is installed from publisher [0-9a-f]{64}; this one is signed by another publisher/)
    const denied = await cli(home, ['install', f, '--replace-publisher'], { interactive: true, answer: 'n' })
    assert.equal(denied.code, 1)
    assert.match(denied.stderr, /REPLACES echo 0\.2\.0 from ANOTHER publisher/)
    assert.ok(denied.stderr.includes(P.publicKey.toString('hex')) && denied.stderr.includes(Q.publicKey.toString('hex')), 'both publishers shown')
    assert.equal(await installed(), v2.codeHash)
  })

  await t.test('a newer manifest for the same code replaces the old one: a bumped version, then a renewed expiry', async () => {
    const bumped = release(P, { version: '0.2.1', wasm: v2.wasm })
    const r = await cli(home, ['install', await files(dir, bumped, 'bumped'), '--yes'])
    assert.equal(r.code, 0, r.stderr)
    assert.match(r.stdout, /^renewed echo 0\.2\.1/)
    assert.equal((await store.get('echo')).version, '0.2.1')
    const soon = new Date(Date.now() + 60_000).toISOString()
    const later = new Date(Date.now() + 86_400_000).toISOString()
    await cli(home, ['install', await files(dir, release(P, { version: '0.2.1', wasm: v2.wasm, extra: { expires: soon } }), 'soon'), '--yes'])
    const renewed = await cli(home, ['install', await files(dir, release(P, { version: '0.2.1', wasm: v2.wasm, extra: { expires: later } }), 'later'), '--yes'])
    assert.equal(renewed.code, 0, renewed.stderr)
    assert.equal((await store.manifestOf(await store.get('echo'))).expires, undefined, 'a manifest that never expires outranks one that does')
  })

  await t.test('an expired app is renewed by a re-signed manifest for the same code', async () => {
    const X = generateKeyPair()
    const { dir: d2, cleanup: c2 } = await tempDir()
    t.after(c2)
    const old = release(X, { version: '1.0.0', tag: 'x', extra: { expires: new Date(Date.now() + 1500).toISOString() } })
    const home2 = await homeWith([old], join(d2, 'home'))
    await new Promise((r) => setTimeout(r, 1600))
    const s2 = createAppStore({ dir: homePaths(home2).store })
    const fresh = release(X, { version: '1.0.0', wasm: old.wasm, extra: { expires: new Date(Date.now() + 86_400_000).toISOString() } })
    const r = await cli(home2, ['install', await files(d2, fresh, 'x'), '--yes'])
    assert.equal(r.code, 0, r.stderr)
    assert.match(r.stdout, /^renewed echo 1\.0\.0/)
    assert.equal((await s2.manifestOf(await s2.get('echo'))).expires, fresh.manifest.expires)
  })

  await t.test('the pin outlives an uninstall', async () => {
    assert.equal((await cli(home, ['uninstall', 'echo'])).code, 0)
    const q = release(generateKeyPair(), { version: '1.0.0', tag: 'q2' })
    const r = await cli(home, ['install', await files(dir, q, 'q2'), '--yes'])
    assert.equal(r.code, 4)
    assert.match(r.stderr, /^PUBLISHER_CHANGED/)
  })
})

test('two apps with the same code under different names keep their own manifests', { timeout: 30_000 }, async (t) => {
  const { dir, cleanup } = await tempDir()
  t.after(cleanup)
  const P = generateKeyPair()
  const a = release(P, { name: 'alpha', tag: 'same' })
  const b = release(generateKeyPair(), { name: 'beta', wasm: a.wasm })
  const home = await homeWith([a, b], join(dir, 'home'))
  const store = createAppStore({ dir: homePaths(home).store })
  assert.equal((await store.manifestOf(await store.get('alpha'))).app.name, 'alpha')
  assert.equal((await store.manifestOf(await store.get('beta'))).app.name, 'beta')
  await store.uninstall('alpha')
  assert.equal((await store.manifestOf(await store.get('beta'))).publisher, b.manifest.publisher)
  void P
})
