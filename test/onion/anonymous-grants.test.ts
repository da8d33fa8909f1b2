import test from 'node:test'
import assert from 'node:assert/strict'
import { RC } from '../../host/abi.ts'
import { describePermissions } from '../../host/audit/describe-permissions.ts'
import { formatId } from '../../host/encoding/ids.ts'
import { validateDraft } from '../../host/manifest/validate.ts'
import { createDialGrants } from '../../host/plugins/index.ts'
import type { Manifest } from '../../host/manifest/types.ts'
import { draftFor } from '../helpers/app-fixture.ts'
import { manifestFor } from '../helpers/plugin-apps.ts'
import { buildModule } from '../helpers/wasm-builder.ts'

const wasm = buildModule()
const code = manifestFor('x', wasm).code.hash
const hidden = 'ab'.repeat(32)
const plain = 'cd'.repeat(32)
const key = 'ef'.repeat(32)

test('an anonymous/ grant allows only anonymous dials to that hash, a plain grant only plain ones', () => {
  const g = createDialGrants(manifestFor('x', wasm, { permissions: { dial: [`anonymous/${hidden}`, plain] } }), code)
  const anon = g.check(`anonymous/${hidden}`)
  assert.ok(anon.ok)
  assert.equal(anon.target.raw, `anonymous/${hidden}`, 'the raw target keeps the prefix: it is what tells the host')
  assert.equal(formatId(anon.target.serviceHash), hidden)
  const withKey = g.check(`anonymous/${hidden}@${key}`)
  assert.ok(withKey.ok)
  assert.equal(formatId(withKey.target.serviceKey!), key)
  const denied = (t: string) => {
    const r = g.check(t)
    return !r.ok && r.rc
  }
  assert.equal(denied(hidden), RC.EDENIED, 'granted anonymously, never dialed in the open')
  assert.equal(denied(`anonymous/${plain}`), RC.EDENIED, 'granted in the open, not anonymously')
  assert.ok(g.check(plain).ok)
  assert.equal(denied('anonymous/zz'), RC.EINVAL)
})

test('the manifest schema accepts anonymous/<service hash> in permissions.dial, and audit words it', () => {
  assert.doesNotThrow(() => validateDraft(draftFor('x', { permissions: { dial: [`anonymous/${hidden}`] } })))
  assert.throws(() => validateDraft(draftFor('x', { permissions: { dial: ['anonymous/self/x'] } })), {
    code: 'MANIFEST_INVALID',
    message: /anonymous\/<service hash>/
  })
  const lines = describePermissions({ ...manifestFor('x', wasm), permissions: { dial: [`anonymous/${hidden}`] } } as unknown as Manifest)
  const dial = lines.find((l) => l.kind === 'dial')!
  assert.match(dial.words, /anonymously, through onion relays/)
  assert.equal(dial.risky, true)
})

test('a hidden/ grant allows dials to that hidden key only, and in no other form', () => {
  const g = createDialGrants(manifestFor('x', wasm, { permissions: { dial: [`hidden/${key}`, `anonymous/${hidden}`] } }), code)
  const ok = g.check(`hidden/${key}`)
  assert.ok(ok.ok)
  assert.equal(ok.target.raw, `hidden/${key}`)
  assert.equal(formatId(ok.target.serviceKey!), key)
  const denied = (t: string) => {
    const r = g.check(t)
    return !r.ok && r.rc
  }
  assert.equal(denied(`hidden/${hidden}`), RC.EDENIED, 'an anonymous grant is no hidden one')
  assert.equal(denied(key), RC.EDENIED)
  assert.equal(denied(`anonymous/${key}`), RC.EDENIED, 'a hidden key is never dialed as a service hash')
  assert.equal(denied('hidden/zz'), RC.EINVAL)
  assert.equal(denied(`hidden/${key}@${key}`), RC.EINVAL)
})

test('the manifest schema accepts hidden/<hidden key> in permissions.dial, and audit words it', () => {
  assert.doesNotThrow(() => validateDraft(draftFor('x', { permissions: { dial: [`hidden/${key}`] } })))
  assert.throws(() => validateDraft(draftFor('x', { permissions: { dial: ['hidden/self/x'] } })), { code: 'MANIFEST_INVALID', message: /hidden\/<hidden key>/ })
  const lines = describePermissions({ ...manifestFor('x', wasm), permissions: { dial: [`hidden/${key}`] } } as unknown as Manifest)
  const dial = lines.find((l) => l.kind === 'dial')!
  assert.match(dial.words, new RegExp(`hidden service with key ${key}`))
  assert.equal(dial.risky, true)
})
