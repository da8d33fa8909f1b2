import assert from 'node:assert/strict'
import { readdirSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { test } from 'node:test'
import z32 from 'z32'
import { RC } from '../../host/abi.ts'
import { formatId } from '../../host/encoding/ids.ts'
import { serviceHash } from '../../host/manifest/hashes.ts'
import { createDialGrants } from '../../host/plugins/index.ts'
import { appDirName, openKvStore } from '../../host/plugins/kv-store.ts'
import { tempDir } from '../helpers/app-fixture.ts'
import { buildModule } from '../helpers/wasm-builder.ts'
import { manifestFor } from '../helpers/plugin-apps.ts'
import { teardown } from '../helpers/teardown.ts'

const wasm = buildModule()
const code = manifestFor('x', wasm).code.hash
const other = 'ab'.repeat(32)
const key = 'cd'.repeat(32)

test('dial grants allow exactly the listed services, self/ and hashes, and deny everything else', () => {
  const m = manifestFor('chat', wasm, { permissions: { dial: ['self/chat', z32.encode(Buffer.from(other, 'hex'))] } })
  const g = createDialGrants(m, code)

  const self = g.check('self/chat')
  assert.ok(self.ok)
  assert.equal(self.target.self, 'chat')
  assert.equal(formatId(self.target.serviceHash), formatId(serviceHash(code, 'chat')))
  // the hash a self/ grant names is granted in its own spelling too
  assert.ok(g.check(formatId(serviceHash(code, 'chat'))).ok)

  const withKey = g.check(`${other}@${key}`)
  assert.ok(withKey.ok)
  assert.equal(formatId(withKey.target.serviceKey!), key, 'a z32 grant matches a hex target')

  assert.deepEqual(pick(g.check('self/other')), { ok: false, rc: RC.EDENIED })
  assert.deepEqual(pick(g.check('ef'.repeat(32))), { ok: false, rc: RC.EDENIED })
  assert.deepEqual(pick(g.check('not a target')), { ok: false, rc: RC.EINVAL })
  assert.deepEqual(pick(g.check(`${other}@short`)), { ok: false, rc: RC.EINVAL })
})

test('an app granted nothing is denied every target, existing or not', () => {
  const g = createDialGrants(manifestFor('echo', wasm), code)
  assert.deepEqual(pick(g.check('self/echo')), { ok: false, rc: RC.EDENIED })
  assert.deepEqual(pick(g.check('self/nothing')), { ok: false, rc: RC.EDENIED })
  assert.deepEqual(pick(g.check(other)), { ok: false, rc: RC.EDENIED })
})

test('a self/ grant for a service the app does not declare resolves to nothing', () => {
  const g = createDialGrants(manifestFor('echo', wasm, { permissions: { dial: ['self/ghost'] } }), code)
  assert.deepEqual(pick(g.check('self/ghost')), { ok: false, rc: RC.ENOTFOUND })
})

test('storage keeps values across reopening, counts key and value bytes, and refuses past the quota', async (t) => {
  const cleanup = teardown(t)
  const { dir, cleanup: rm } = await tempDir('hn-kv-')
  cleanup(rm)
  const k = (s: string): Uint8Array => new TextEncoder().encode(s)

  const kv = openKvStore(dir, 20)
  assert.equal(kv.get(k('a')), null)
  assert.equal(kv.put(k('a'), k('0123456789')), true)
  assert.equal(kv.usedBytes, 11)
  assert.equal(kv.put(k('b'), k('0123456789')), false, '11 + 11 bytes would pass the 20-byte quota')
  assert.equal(kv.usedBytes, 11, 'a refused put stores nothing')
  assert.equal(kv.put(k('b'), k('01234567')), true)
  assert.equal(kv.usedBytes, 20)
  assert.equal(kv.put(k('a'), k('x')), true, 'replacing frees the old value first')
  assert.equal(kv.usedBytes, 11)

  writeFileSync(join(dir, 'leftover.kv.tmp'), 'half a write') // a worker killed mid-put
  const again = openKvStore(dir, 20)
  assert.equal(Buffer.from(again.get(k('a'))!).toString(), 'x')
  assert.equal(Buffer.from(again.get(k('b'))!).toString(), '01234567')
  assert.equal(again.usedBytes, 11)
  assert.ok(!readdirSync(dir).some((f) => f.endsWith('.tmp')), 'temporary files are cleaned up')
  assert.equal(again.delete(k('a')), true)
  assert.equal(again.delete(k('a')), false)
  assert.equal(again.usedBytes, 9)
})

test('app folders are the app name when safe, a hash otherwise', () => {
  assert.equal(appDirName('profile'), 'profile')
  assert.match(appDirName('../../etc'), /^app-[0-9a-f]{32}$/)
  assert.match(appDirName('a/b'), /^app-[0-9a-f]{32}$/)
})

function pick(c: { ok: boolean; rc?: number }): { ok: boolean; rc?: number } {
  return c.ok ? { ok: true } : { ok: false, rc: c.rc }
}
