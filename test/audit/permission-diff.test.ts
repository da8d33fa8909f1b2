import test from 'node:test'
import assert from 'node:assert/strict'
import { permissionDiff } from '../../host/audit/permission-diff.ts'
import type { Manifest } from '../../host/manifest/types.ts'

const base = {
  schema: 'hypernet/manifest@1',
  app: { name: 'a', version: '1.0.0' },
  code: { hash: '00'.repeat(32), abi: 1 },
  publisher: '11'.repeat(32),
  services: [{ name: 'a', port: 7, protocol: 'stream' }],
  permissions: {},
  limits: { memoryMiB: 16, callTimeoutMs: 200 },
  signature: '00'.repeat(64)
} as Manifest

test('an upgrade that adds a service, a dial, storage, timers, memory or time adds permissions', () => {
  const next = {
    ...base,
    services: [...base.services, { name: 'b', port: 8, protocol: 'stream' as const }],
    permissions: { dial: ['self/a'], storage: { quotaBytes: 1024 }, timers: true },
    limits: { memoryMiB: 32, callTimeoutMs: 400 }
  }
  const d = permissionDiff(base, next)
  assert.deepEqual(d.added, [
    '+ service b (port 8)',
    '+ dial self/a',
    '+ storage 1 KiB (was none)',
    '+ timers',
    '+ memory 32 MiB (was 16 MiB)',
    '+ time 400 ms per event (was 200 ms)'
  ])
  assert.deepEqual(d.removed, [])
  assert.deepEqual(permissionDiff(next, base).added, [], 'the way back only removes')
})

test('the same grants are no change; limits are compared as the host caps them', () => {
  assert.deepEqual(permissionDiff(base, { ...base, app: { name: 'a', version: '2.0.0' } }), { added: [], removed: [] })
  const huge = { ...base, limits: { memoryMiB: 4000, callTimeoutMs: 200 } }
  const huger = { ...base, limits: { memoryMiB: 4096, callTimeoutMs: 200 } }
  assert.deepEqual(permissionDiff(huge, huger).added, [], 'both above the host cap of 256 MiB: no change')
})
