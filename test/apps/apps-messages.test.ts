import test from 'node:test'
import assert from 'node:assert/strict'
import { randomBytes } from 'node:crypto'
import { APPS_MESSAGES, appsCode, appsGetCode, appsGetManifest, appsManifest, appsRefused, decodeExact, encode, manifestBody } from '../../host/messages.ts'
import type { ManifestBodyWire } from '../../host/messages.ts'
import { HypernetError } from '../../host/errors.ts'

// pinned: the apps protocol's bytes; a change needs a new protocol name (hypernet/apps/2)
const cases = [
  { name: 'get-manifest', enc: appsGetManifest, value: { id: 1, codeHash: Buffer.alloc(32, 0xaa) }, golden: '010001' + 'aa'.repeat(32) },
  { name: 'manifest', enc: appsManifest, value: { id: 2, size: 1000, manifest: Buffer.from('{}') }, golden: '010002fde803027b7d' },
  {
    name: 'get-code',
    enc: appsGetCode,
    value: { id: 3, codeHash: Buffer.alloc(32, 0xbb), offset: 65536, length: 1024 },
    golden: '010003' + 'bb'.repeat(32) + 'fe00000100fd0004'
  },
  { name: 'code', enc: appsCode, value: { id: 4, offset: 0, data: Buffer.from([1, 2, 3]) }, golden: '0100040003010203' },
  { name: 'refused', enc: appsRefused, value: { id: 5, reason: 4, message: 'busy' }, golden: '010005040462757379' }
] as const

for (const c of cases) {
  test(`apps ${c.name} round-trips to its pinned golden bytes and consumes every byte`, () => {
    const buf = encode(c.enc as any, c.value)
    assert.equal(buf.toString('hex'), c.golden)
    const back = decodeExact(c.enc as any, buf, c.name) as Record<string, unknown>
    for (const [k, v] of Object.entries(c.value)) assert.deepEqual(Buffer.isBuffer(v) ? Buffer.from(back[k] as Uint8Array) : back[k], v)
  })

  test(`apps ${c.name}: an unknown version, truncation and trailing bytes are BAD_MESSAGE, never a crash`, () => {
    const buf = encode(c.enc as any, c.value)
    const v2 = Buffer.from(buf)
    v2[0] = 2
    assert.throws(() => decodeExact(c.enc as any, v2, c.name), { code: 'BAD_MESSAGE' })
    assert.throws(() => decodeExact(c.enc as any, buf.subarray(0, buf.length - 1), c.name), { code: 'BAD_MESSAGE' })
    assert.throws(() => decodeExact(c.enc as any, Buffer.concat([buf, Buffer.from([0])]), c.name), { code: 'BAD_MESSAGE' })
  })
}

test('the apps messages are listed in wire-type order', () => {
  assert.deepEqual(APPS_MESSAGES, [appsGetManifest, appsManifest, appsGetCode, appsCode, appsRefused])
})

test('a code chunk claiming more bytes than it carries is refused before allocating', () => {
  const lie = Buffer.from('010001' + '00' + 'fe00001000', 'hex') // 1 MiB claimed, none sent
  assert.throws(() => decodeExact(appsCode, lie, 'code'), { code: 'BAD_MESSAGE' })
})

test('random bytes never crash the apps decoders', () => {
  for (let i = 0; i < 20_000; i++) {
    const buf = randomBytes(1 + (i % 64))
    for (const enc of APPS_MESSAGES) {
      try {
        decodeExact(enc as any, buf, 'fuzz')
      } catch (err) {
        assert.ok(err instanceof HypernetError, `threw ${(err as Error).name}`)
      }
    }
  }
})

test('manifests without the new fields encode exactly as before; redistribute and supersedes take flag bits 64 and 128', () => {
  const base: ManifestBodyWire = {
    schema: 'hypernet/manifest@1',
    name: 'a',
    version: '1.0.0',
    description: null,
    codeHash: Buffer.alloc(32, 1),
    abi: 1,
    publisher: Buffer.alloc(32, 2),
    services: [],
    dial: [],
    storageQuota: null,
    timers: false,
    memoryMiB: null,
    callTimeoutMs: null,
    expires: null
  }
  const plain = encode(manifestBody, base)
  assert.equal(plain[1], 0)
  const flagged = encode(manifestBody, { ...base, noRedistribute: true, supersedes: [Buffer.alloc(32, 3)] })
  assert.equal(flagged[1], 64 | 128)
  assert.equal(flagged.length, plain.length + 1 + 32, 'one count byte and the hash')
  const back = decodeExact(manifestBody, flagged, 'manifest')
  assert.equal(back.noRedistribute, true)
  assert.deepEqual(
    back.supersedes!.map((h) => Buffer.from(h)),
    [Buffer.alloc(32, 3)]
  )
  assert.equal(Object.hasOwn(decodeExact(manifestBody, plain, 'manifest'), 'supersedes'), false)
})
