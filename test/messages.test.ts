import test from 'node:test'
import assert from 'node:assert/strict'
import { decodeExact, encode, manifestBody } from '../host/messages.ts'
import type { ManifestBodyWire } from '../host/messages.ts'

const sample: ManifestBodyWire = {
  schema: 'hypernet/manifest@1',
  name: 'echo',
  version: '1.0.0',
  description: 'echoes',
  codeHash: Buffer.alloc(32, 0xaa),
  abi: 1,
  publisher: Buffer.alloc(32, 0xbb),
  services: [{ name: 'echo', port: 7, protocol: 'stream', description: null }],
  dial: ['self/echo'],
  storageQuota: 1024,
  timers: true,
  memoryMiB: 16,
  callTimeoutMs: 200,
  expires: null
}

// pinned: changing the manifest encoding breaks every signature ever made
const GOLDEN =
  '011f1368797065726e65742f6d616e69666573744031046563686f05312e302e30066563' +
  '686f6573aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa' +
  '01bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb010004' +
  '6563686f070673747265616d010973656c662f6563686ffd000410c8'

test('a manifest body round-trips and consumes every byte', () => {
  const buf = encode(manifestBody, sample)
  const back = decodeExact(manifestBody, buf, 'manifest')
  assert.deepEqual({ ...back, codeHash: Buffer.from(back.codeHash), publisher: Buffer.from(back.publisher) }, sample)
})

test('a manifest body encodes to the pinned golden bytes', () => {
  const buf = encode(manifestBody, sample)
  assert.equal(buf.toString('hex'), GOLDEN)
  assert.equal(buf.byteLength, GOLDEN.length / 2)
})

test('optional fields absent take no bytes', () => {
  const bare = { ...sample, description: null, storageQuota: null, timers: false, memoryMiB: null, callTimeoutMs: null, dial: [], services: [] }
  const buf = encode(manifestBody, bare)
  assert.equal(buf[1], 0, 'flags are zero')
  assert.deepEqual(decodeExact(manifestBody, buf, 'm').services, [])
})

test('an unknown manifest body version is refused with BAD_MESSAGE', () => {
  const buf = encode(manifestBody, sample)
  buf[0] = 2
  assert.throws(() => decodeExact(manifestBody, buf, 'manifest'), { code: 'BAD_MESSAGE', message: /version 2 is not supported/ })
})

test('truncated and trailing bytes are refused, never a crash', () => {
  const buf = encode(manifestBody, sample)
  for (let n = 0; n < buf.byteLength; n++) {
    assert.throws(() => decodeExact(manifestBody, buf.subarray(0, n), 'manifest'), { code: 'BAD_MESSAGE' })
  }
  assert.throws(() => decodeExact(manifestBody, Buffer.concat([buf, Buffer.from([0])]), 'manifest'), { code: 'BAD_MESSAGE', message: /1 trailing bytes/ })
})

test('a length prefix larger than the bytes left is refused before allocating', () => {
  // version 1, flags 0, then a string claiming 0xffffffff bytes
  const evil = Buffer.from([1, 0, 0xfe, 0xff, 0xff, 0xff, 0xff, 0x41])
  assert.throws(() => decodeExact(manifestBody, evil, 'manifest'), { code: 'BAD_MESSAGE', message: /exceeds/ })
})

test('random bytes never crash the manifest decoder', () => {
  let seed = 42
  const rand = () => ((seed = (seed * 1103515245 + 12345) & 0x7fffffff), seed & 0xff)
  for (let i = 0; i < 5000; i++) {
    const len = rand() % 64
    const buf = Buffer.from(Array.from({ length: len }, rand))
    if (len > 0) buf[0] = 1
    try {
      decodeExact(manifestBody, buf, 'fuzz')
    } catch (err: any) {
      assert.equal(err.code, 'BAD_MESSAGE')
    }
  }
})

test('quotas a manifest asks for are signed behind flag 256, each field behind its own bit, and absent ones take no bytes', () => {
  const none = encode(manifestBody, { ...sample, quotas: {} })
  assert.equal(none.toString('hex'), GOLDEN, 'an empty quotas object is the same as none')
  const asked = { ...sample, quotas: { connections: 200, bytesOutPerSecond: 1 << 27 } }
  const buf = encode(manifestBody, asked)
  // flags 0x11f | 256 as a varint, then the old fields, then quota flags 4|16 = 0x14, 200 (one byte below 0xfd), 2^27
  assert.equal(buf.toString('hex'), '01fd1f01' + GOLDEN.slice(4) + '14c8fe00000008')
  const back = decodeExact(manifestBody, buf, 'manifest')
  assert.deepEqual(back.quotas, { connections: 200, bytesOutPerSecond: 1 << 27 })
  for (let n = 0; n < buf.byteLength; n++) assert.throws(() => decodeExact(manifestBody, buf.subarray(0, n), 'm'), { code: 'BAD_MESSAGE' })
})

test('mesh grants are signed behind flag 512, after the quotas, and an empty list takes no bytes', { timeout: 10_000 }, () => {
  assert.equal(encode(manifestBody, { ...sample, mesh: [] }).toString('hex'), GOLDEN, 'an empty list is the same as none')
  const buf = encode(manifestBody, { ...sample, mesh: ['self/echo'] })
  // flags 0x1f | 512 = 0x21f as a varint, the old fields, then one string "self/echo"
  assert.equal(buf.toString('hex'), '01fd1f02' + GOLDEN.slice(4) + '010973656c662f6563686f')
  const back = decodeExact(manifestBody, buf, 'manifest')
  assert.deepEqual(back.mesh, ['self/echo'])
  assert.equal(back.quotas, undefined)
  const both = encode(manifestBody, { ...sample, quotas: { connections: 200 }, mesh: ['self/echo'] })
  // 0x1f | 256 | 512, the quotas (flag 4, 200), then the mesh list
  assert.equal(both.toString('hex'), '01fd1f03' + GOLDEN.slice(4) + '04c8' + '010973656c662f6563686f')
  for (let n = 0; n < buf.byteLength; n++) assert.throws(() => decodeExact(manifestBody, buf.subarray(0, n), 'm'), { code: 'BAD_MESSAGE' })
})

test('the bridge flow credit datagram is HNC1 and a big-endian u64, pinned; anything else is BAD_MESSAGE', async () => {
  const { bridgeCredit } = await import('../host/messages.ts')
  const buf = encode(bridgeCredit, 4096)
  assert.equal(buf.toString('hex'), '484e43310000000000001000')
  assert.equal(decodeExact(bridgeCredit, buf, 'credit'), 4096)
  assert.throws(() => decodeExact(bridgeCredit, buf.subarray(0, 11), 'credit'), { code: 'BAD_MESSAGE' })
  assert.throws(() => decodeExact(bridgeCredit, Buffer.concat([buf, Buffer.from([0])]), 'credit'), { code: 'BAD_MESSAGE' })
  assert.throws(() => decodeExact(bridgeCredit, Buffer.from('585858580000000000001000', 'hex'), 'credit'), { code: 'BAD_MESSAGE' })
  assert.throws(() => decodeExact(bridgeCredit, Buffer.from('484e4331ffffffffffffffff', 'hex'), 'credit'), { code: 'BAD_MESSAGE' })
})
