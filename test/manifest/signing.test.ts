import test from 'node:test'
import assert from 'node:assert/strict'
import z32 from 'z32'
import { NAMESPACE } from '../../host/constants.ts'
import { serviceHash } from '../../host/manifest/hashes.ts'
import { generateKeyPair, signManifest, verifyManifestSignature } from '../../host/manifest/signing.ts'
import type { ManifestBody } from '../../host/manifest/types.ts'
import { draftFor } from '../helpers/app-fixture.ts'

function body(pub: Buffer): ManifestBody {
  return { ...draftFor('echo'), code: { hash: 'aa'.repeat(32), abi: 1 }, publisher: pub.toString('hex') } as ManifestBody
}

test('a signed manifest verifies against its publisher', () => {
  const kp = generateKeyPair()
  const m = signManifest(body(kp.publicKey), kp)
  assert.match(m.signature, /^[0-9a-f]{128}$/)
  verifyManifestSignature(m)
})

test('any field changed after signing breaks the signature', () => {
  const kp = generateKeyPair()
  const m = signManifest(body(kp.publicKey), kp)
  const changes: Array<(x: any) => void> = [
    (x) => (x.app.version = '1.0.1'),
    (x) => (x.services[0].port = 8),
    (x) => (x.permissions.timers = true),
    (x) => (x.limits.memoryMiB = 64),
    (x) => (x.limits.connections = 200),
    (x) => (x.code.hash = 'ab'.repeat(32)),
    (x) => (x.expires = '2099-01-01T00:00:00Z')
  ]
  for (const change of changes) {
    const t = structuredClone(m)
    change(t)
    assert.throws(() => verifyManifestSignature(t), { code: 'SIGNATURE_INVALID' })
  }
})

test('a signature by another key is refused', () => {
  const kp = generateKeyPair()
  const other = generateKeyPair()
  const m = signManifest(body(kp.publicKey), kp)
  const forged = signManifest(body(other.publicKey), other)
  assert.throws(() => verifyManifestSignature({ ...m, signature: forged.signature }), { code: 'SIGNATURE_INVALID' })
})

test('the hex and z32 spellings of a manifest verify alike, JSON key order does not matter', () => {
  const kp = generateKeyPair()
  const m = signManifest(body(kp.publicKey), kp)
  verifyManifestSignature({ ...m, publisher: z32.encode(kp.publicKey) })
  const reordered = Object.fromEntries(Object.entries(structuredClone(m)).reverse()) as typeof m
  verifyManifestSignature(reordered)
})

test('the service hash is SHA-256 over its namespace, the code hash and the name (pinned)', () => {
  assert.equal(NAMESPACE.SERVICE.toString('hex'), 'aa97f15f1bd1698174b78da5ae61d425402532ac978dd188983dcbeff2e29687')
  const h = serviceHash(Buffer.alloc(32, 0xaa), 'echo')
  assert.equal(h.toString('hex'), SERVICE_GOLDEN)
  assert.notEqual(serviceHash(Buffer.alloc(32, 0xaa), 'echo2').toString('hex'), SERVICE_GOLDEN)
})

const SERVICE_GOLDEN = '8a08bc1cafc7685ccb3118645c26a1937aeca7dc1cf360a251a71967c3e4101a'

test('the manifest namespace is pinned', () => {
  assert.equal(NAMESPACE.MANIFEST.toString('hex'), '3550d80f91356bbaaf3e9baae103635d105fe5ac92f0290cbe052c79badbc6cf')
})
