import assert from 'node:assert/strict'
import { test } from 'node:test'
import { describePermissions } from '../../host/audit/describe-permissions.ts'
import { permissionDiff } from '../../host/audit/permission-diff.ts'
import type { Manifest } from '../../host/manifest/types.ts'
import { manifestFor } from '../helpers/plugin-apps.ts'
import { buildModule } from '../helpers/wasm-builder.ts'

const wasm = buildModule()
const withLimits = (limits: Manifest['limits']) => ({ ...manifestFor('x', wasm), limits }) as unknown as Manifest

test('the consent prompt shows quotas a manifest asks for, with the default and any cap', () => {
  assert.deepEqual(
    describePermissions(withLimits({})).filter((l) => l.kind === 'quota'),
    [],
    'defaults are not shown'
  )
  const lines = describePermissions(withLimits({ connections: 200, dialsPerSecond: 1000, bytesOutPerSecond: 2 * 1024 * 1024 * 1024 })).filter(
    (l) => l.kind === 'quota'
  )
  assert.deepEqual(lines, [
    {
      kind: 'quota',
      words: 'start 100 connection attempts a second (host default 10 connection attempts a second, asked 1000 connection attempts a second, capped)',
      risky: true
    },
    { kind: 'quota', words: 'keep 200 outbound connections open at once (host default 64 outbound connections open at once)', risky: false },
    { kind: 'quota', words: 'send 2 GiB a second (host default 1 GiB a second)', risky: false }
  ])
})

test('an upgrade that raises a quota adds a permission; one that lowers it removes one', () => {
  const d = permissionDiff(withLimits({}), withLimits({ connections: 200 }))
  assert.deepEqual(d.added, ['+ connections 200 (was 64)'])
  assert.deepEqual(permissionDiff(withLimits({ connections: 200 }), withLimits({})).removed, ['- connections 64 (was 200)'])
})
