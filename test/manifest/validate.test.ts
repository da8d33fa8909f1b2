import test from 'node:test'
import assert from 'node:assert/strict'
import { validateManifest } from '../../host/manifest/validate.ts'
import { draftFor } from '../helpers/app-fixture.ts'

function complete(extra: Record<string, unknown> = {}): Record<string, any> {
  return { ...draftFor('echo'), code: { hash: 'aa'.repeat(32), abi: 1 }, publisher: 'bb'.repeat(32), signature: 'cc'.repeat(64), ...extra }
}

test('a complete manifest passes the schema', () => {
  assert.equal(validateManifest(complete()).app.name, 'echo')
})

test('a missing field is named with its JSON path', () => {
  const m = complete()
  delete m.app.version
  assert.throws(() => validateManifest(m), { code: 'MANIFEST_INVALID', message: 'MANIFEST_INVALID: /app: missing required field "version"' })
})

test('a field of the wrong type is named with what was expected and what came', () => {
  const m = complete()
  m.services[0].port = '7'
  assert.throws(() => validateManifest(m), { code: 'MANIFEST_INVALID', message: 'MANIFEST_INVALID: /services/0/port: expected integer, got "7"' })
})

test('an unknown field is refused', () => {
  assert.throws(() => validateManifest(complete({ homepage: 'x' })), { code: 'MANIFEST_INVALID', message: /^MANIFEST_INVALID: \/: unknown field "homepage"$/ })
  const m = complete()
  m.permissions.network = true
  assert.throws(() => validateManifest(m), { message: /\/permissions: unknown field "network"/ })
})

test('a port out of range is refused', () => {
  const m = complete()
  m.services[0].port = 70000
  assert.throws(() => validateManifest(m), { code: 'MANIFEST_INVALID', message: /\/services\/0\/port: must be <= 65535, got 70000/ })
  m.services[0].port = 0
  assert.throws(() => validateManifest(m), { message: /\/services\/0\/port: must be >= 1, got 0/ })
})

test('duplicate service names and ports are refused', () => {
  const dupName = complete({
    services: [
      { name: 'a', port: 1, protocol: 'stream' },
      { name: 'a', port: 2, protocol: 'stream' }
    ]
  })
  assert.throws(() => validateManifest(dupName), {
    code: 'MANIFEST_INVALID',
    message: /\/services\/1\/name: duplicate service name "a" \(also \/services\/0\)/
  })
  const dupPort = complete({
    services: [
      { name: 'a', port: 1, protocol: 'stream' },
      { name: 'b', port: 1, protocol: 'stream' }
    ]
  })
  assert.throws(() => validateManifest(dupPort), { code: 'MANIFEST_INVALID', message: /\/services\/1\/port: duplicate port 1/ })
})

test('a malformed key, hash, expiry or dial target says what form was expected', () => {
  assert.throws(() => validateManifest(complete({ publisher: 'xyz' })), { message: /\/publisher: expected 32 bytes as 64 hex or 52 z32 characters, got "xyz"/ })
  assert.throws(() => validateManifest(complete({ expires: 'tomorrow' })), { message: /\/expires: expected an ISO 8601 date-time/ })
  const m = complete()
  m.permissions.dial = ['anything']
  assert.throws(() => validateManifest(m), {
    message:
      /\/permissions\/dial\/0: expected self\/<service name> or a service hash, optionally as anonymous\/<service hash>, or hidden\/<hidden key>, got "anything"/
  })
})

test('a wrong schema identifier is refused', () => {
  assert.throws(() => validateManifest(complete({ schema: 'hypernet/manifest@2' })), {
    message: /\/schema: expected "hypernet\/manifest@1", got "hypernet\/manifest@2"/
  })
})

test('limits may ask for quotas, positive integers only', () => {
  const ok = validateManifest(
    complete({ limits: { memoryMiB: 1, connections: 200, dialsInFlight: 16, dialsPerSecond: 20, bytesInPerSecond: 1 << 26, bytesOutPerSecond: 1 << 26 } })
  )
  assert.equal(ok.limits.connections, 200)
  assert.throws(() => validateManifest(complete({ limits: { connections: 0 } })), { code: 'MANIFEST_INVALID' })
  assert.throws(() => validateManifest(complete({ limits: { dialsPerSecond: 1.5 } })), { code: 'MANIFEST_INVALID' })
})
