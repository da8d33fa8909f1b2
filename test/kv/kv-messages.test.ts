import test from 'node:test'
import assert from 'node:assert/strict'
import { decodeExact, encode, kvEnvelope, kvRecord, kvSignable } from '../../host/messages.ts'
import type { KvEnvelopeWire, KvRecordWire, KvSignableWire } from '../../host/messages.ts'

const record: KvRecordWire = {
  tombstone: false,
  owner: Buffer.alloc(32, 0x11),
  key: 'greeting',
  value: Buffer.from('hello'),
  signature: Buffer.alloc(64, 0x22)
}
const signable: KvSignableWire = {
  address: Buffer.alloc(32, 0x33),
  seq: 1795312336,
  tombstone: false,
  owner: Buffer.alloc(32, 0x11),
  key: 'greeting',
  value: Buffer.from('hello')
}
const envelope: KvEnvelopeWire = { address: Buffer.alloc(32, 0x33), seq: 7, record: Buffer.from('rec'), signature: Buffer.alloc(64, 0x44) }

// pinned: changing these encodings breaks every record ever signed
const GOLDEN = {
  record: '0100' + '11'.repeat(32) + '08' + Buffer.from('greeting').toString('hex') + '05' + Buffer.from('hello').toString('hex') + '22'.repeat(64),
  tombstone: '0101' + '11'.repeat(32) + '08' + Buffer.from('greeting').toString('hex') + '22'.repeat(64),
  signable:
    '0100' + '33'.repeat(32) + 'fed04a026b' + '11'.repeat(32) + '08' + Buffer.from('greeting').toString('hex') + '05' + Buffer.from('hello').toString('hex'),
  envelope: '0100' + '33'.repeat(32) + '07' + '03' + Buffer.from('rec').toString('hex') + '44'.repeat(64)
}

const plain = (o: object) => JSON.parse(JSON.stringify(o, (_k, v) => (v?.type === 'Buffer' ? Buffer.from(v.data).toString('hex') : v)))

test('a kv record, a removal, a signable and an envelope encode to their pinned golden bytes', () => {
  assert.equal(encode(kvRecord, record).toString('hex'), GOLDEN.record)
  assert.equal(encode(kvRecord, { ...record, tombstone: true, value: null }).toString('hex'), GOLDEN.tombstone)
  assert.equal(encode(kvSignable, signable).toString('hex'), GOLDEN.signable)
  assert.equal(encode(kvEnvelope, envelope).toString('hex'), GOLDEN.envelope)
})

test('each kv struct round-trips, consuming every byte', () => {
  const cases: Array<[any, object, string]> = [
    [kvRecord, record, 'record'],
    [kvRecord, { ...record, tombstone: true, value: null }, 'tombstone'],
    [kvSignable, signable, 'signable'],
    [kvEnvelope, envelope, 'envelope']
  ]
  for (const [enc, value, what] of cases) {
    const buf = encode(enc, value)
    assert.deepEqual(plain(decodeExact(enc, buf, what)), plain(value), what)
  }
})

test('a removal has no value and a value is never a removal', () => {
  assert.throws(() => encode(kvRecord, { ...record, tombstone: true }), { code: 'BAD_MESSAGE', message: /exactly when it is not a tombstone/ })
  assert.throws(() => encode(kvRecord, { ...record, value: null }), { code: 'BAD_MESSAGE' })
})

test('an unknown kv version is refused with BAD_MESSAGE', () => {
  for (const [enc, value, what] of [
    [kvRecord, record, 'kv record'],
    [kvSignable, signable, 'kv signable'],
    [kvEnvelope, envelope, 'kv envelope']
  ] as const) {
    const buf = encode(enc as any, value)
    buf[0] = 2
    assert.throws(() => decodeExact(enc as any, buf, what), { code: 'BAD_MESSAGE', message: new RegExp(`${what} version 2 is not supported`) })
  }
})

test('truncated and trailing kv bytes are refused, never a crash', () => {
  for (const buf of [encode(kvRecord, record), encode(kvEnvelope, envelope)]) {
    for (let n = 0; n < buf.byteLength; n++) assert.throws(() => decodeExact(kvRecord, buf.subarray(0, n), 'kv'), { code: 'BAD_MESSAGE' })
    assert.throws(() => decodeExact(kvEnvelope, Buffer.concat([encode(kvEnvelope, envelope), Buffer.from([0])]), 'kv envelope'), {
      message: /1 trailing bytes/
    })
  }
})

test('a key, value or record longer than its limit is refused before allocating', () => {
  const longKey = encode(kvRecord, { ...record, key: 'k'.repeat(64) })
  longKey[34] = 65 // the key's length prefix (after version, flags, owner), now one past the limit
  assert.throws(() => decodeExact(kvRecord, longKey, 'kv record'), { code: 'BAD_MESSAGE', message: /exceeds/ })
  // version 1, flags 0, owner, key "k", then a value claiming 0xffffffff bytes
  const evil = Buffer.concat([Buffer.from([1, 0]), Buffer.alloc(32), Buffer.from([1, 0x6b, 0xfe, 0xff, 0xff, 0xff, 0xff])])
  assert.throws(() => decodeExact(kvRecord, evil, 'kv record'), { code: 'BAD_MESSAGE', message: /exceeds/ })
  // an envelope whose record claims 2049 bytes, one past the limit
  const big = Buffer.concat([Buffer.from([1, 0]), Buffer.alloc(32), Buffer.from([7, 0xfd, 0x01, 0x08]), Buffer.alloc(2049 + 64)])
  assert.throws(() => decodeExact(kvEnvelope, big, 'kv envelope'), { code: 'BAD_MESSAGE', message: /buffer length 2049 exceeds/ })
})

test('random bytes never crash the kv decoders', () => {
  let seed = 7
  const rand = () => ((seed = (seed * 1103515245 + 12345) & 0x7fffffff), seed & 0xff)
  for (let i = 0; i < 5000; i++) {
    const len = rand() % 160
    const buf = Buffer.from(Array.from({ length: len }, rand))
    if (len > 0) buf[0] = 1
    for (const enc of [kvRecord, kvEnvelope, kvSignable] as any[]) {
      try {
        decodeExact(enc, buf, 'fuzz')
      } catch (err: any) {
        assert.equal(err.code, 'BAD_MESSAGE')
      }
    }
  }
})
