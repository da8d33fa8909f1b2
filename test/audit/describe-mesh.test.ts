import assert from 'node:assert/strict'
import { test } from 'node:test'
import { describePermissions } from '../../host/audit/describe-permissions.ts'
import { permissionDiff } from '../../host/audit/permission-diff.ts'
import { validateDraft } from '../../host/manifest/validate.ts'
import type { Manifest } from '../../host/manifest/types.ts'
import { manifestFor } from '../helpers/plugin-apps.ts'
import { buildModule } from '../helpers/wasm-builder.ts'

const wasm = buildModule()
const HASH = 'ab'.repeat(32)
const withMesh = (mesh?: string[]) => {
  const m = manifestFor('x', wasm) as unknown as Manifest
  return { ...m, permissions: { ...m.permissions, ...(mesh ? { mesh } : {}) } } as Manifest
}

test('the consent prompt names each mesh grant; a foreign hash is flagged risky', { timeout: 10_000 }, () => {
  const lines = describePermissions(withMesh(['self/chat', HASH])).filter((l) => l.kind === 'mesh')
  assert.equal(lines.length, 2)
  assert.match(lines[0].words, /join the mesh of this app's "chat" service/)
  assert.equal(lines[0].risky, false)
  assert.match(lines[1].words, new RegExp(`service with hash ${HASH}`))
  assert.equal(lines[1].risky, true)
})

test('an upgrade that adds a mesh grant adds a permission; dropping one removes it', { timeout: 10_000 }, () => {
  assert.deepEqual(permissionDiff(withMesh(), withMesh(['self/chat'])).added, ['+ mesh self/chat'])
  assert.deepEqual(permissionDiff(withMesh(['self/chat']), withMesh()).removed, ['- mesh self/chat'])
})

test('the manifest schema takes self/<service> and hashes as mesh grants and refuses anything else by path', { timeout: 10_000 }, () => {
  const base = JSON.parse(JSON.stringify(manifestFor('x', wasm)))
  validateDraft({ ...base, permissions: { mesh: ['self/chat', HASH] } })
  assert.throws(() => validateDraft({ ...base, permissions: { mesh: ['anonymous/' + HASH] } }), {
    code: 'MANIFEST_INVALID',
    message: /permissions\/mesh\/0.*self\/<service name> or a service hash/
  })
})
