import test from 'node:test'
import assert from 'node:assert/strict'
import DHT from 'hyperdht'
import Persistent from 'hyperdht/lib/persistent.js'
import { checkKeyName, contentAddress, recordKeyPair, recordTarget } from '../../host/kv/kv-address.ts'
import { MAX_ENVELOPE_BYTES, compareRecords, envelopeBytes, openEnvelope, openEnvelopeBytes, signRecord } from '../../host/kv/kv-record.ts'
import { encode, kvRecord } from '../../host/messages.ts'
import { decodeExact } from '../../host/messages.ts'

const owner = DHT.keyPair(Buffer.alloc(32, 1))
const mallory = DHT.keyPair(Buffer.alloc(32, 2))

test('a record signed by its owner verifies at its address and names owner, key, seq and value', () => {
  const r = signRecord(owner, 'greeting', 5, Buffer.from('hello'))
  const back = openEnvelope(r.address, r.envelope)
  assert.equal(back.key, 'greeting')
  assert.equal(back.seq, 5)
  assert.equal(back.tombstone, false)
  assert.ok(back.owner.equals(owner.publicKey))
  assert.equal(back.value!.toString(), 'hello')
  assert.deepEqual(openEnvelopeBytes(r.address, envelopeBytes(r)).value, back.value)
})

test('an address is derived from the owner secret and the key name, and is neither the owner key nor guessable from it', () => {
  const a = recordKeyPair(owner, 'greeting').publicKey
  assert.ok(a.equals(recordKeyPair(owner, 'greeting').publicKey), 'deterministic')
  assert.ok(!a.equals(recordKeyPair(owner, 'greeting2').publicKey))
  assert.ok(!a.equals(recordKeyPair(mallory, 'greeting').publicKey))
  assert.ok(!a.equals(owner.publicKey))
  assert.ok(recordTarget(a).equals(recordTarget(a)) && !recordTarget(a).equals(a), 'the DHT target is the hash of the address')
  assert.equal(contentAddress(Buffer.from('x')).byteLength, 32)
})

test('the address key signs exactly as HyperDHT signs a mutable record', () => {
  const r = signRecord(owner, 'greeting', 9, Buffer.from('hello'))
  assert.ok(Persistent.verifyMutable(r.envelope.signature, 9, r.envelope.record, r.address))
})

test('forged and altered records are refused with SIGNATURE_INVALID', () => {
  const r = signRecord(owner, 'greeting', 5, Buffer.from('hello'))
  const wire = decodeExact(kvRecord, r.envelope.record, 'kv record')
  // the value changed, signatures kept
  const altered = encode(kvRecord, { ...wire, value: Buffer.from('HELLO') })
  assert.throws(() => openEnvelope(r.address, { ...r.envelope, record: altered }), { code: 'SIGNATURE_INVALID' })
  // the seq changed
  assert.throws(() => openEnvelope(r.address, { ...r.envelope, seq: 6 }), { code: 'SIGNATURE_INVALID' })
  // mallory signs a record of his own naming the owner's address
  const forged = signRecord(mallory, 'greeting', 99, Buffer.from('pwned'))
  assert.throws(() => openEnvelope(r.address, forged.envelope), { code: 'SIGNATURE_INVALID', message: /not signed by the address's key/ })
  // a valid record replayed at another address
  const other = signRecord(owner, 'other', 5, Buffer.from('hello'))
  assert.throws(() => openEnvelope(other.address, r.envelope), { code: 'SIGNATURE_INVALID' })
  // the owner field swapped: the address key's signature covers it
  const swapped = encode(kvRecord, { ...wire, owner: mallory.publicKey })
  assert.throws(() => openEnvelope(r.address, { ...r.envelope, record: swapped }), { code: 'SIGNATURE_INVALID' })
  // garbage where the record should be
  assert.throws(() => openEnvelopeBytes(r.address, Buffer.from('not an envelope')), { code: 'BAD_MESSAGE' })
})

test('a higher seq outranks, a removal outranks a value of equal seq, and ties order by bytes', () => {
  const v5 = signRecord(owner, 'k', 5, Buffer.from('a'))
  const v6 = signRecord(owner, 'k', 6, Buffer.from('a'))
  const rm5 = signRecord(owner, 'k', 5, null)
  const w5 = signRecord(owner, 'k', 5, Buffer.from('b'))
  assert.ok(compareRecords(v6, v5) > 0)
  assert.ok(compareRecords(rm5, v5) > 0)
  assert.ok(compareRecords(v6, rm5) > 0)
  assert.equal(compareRecords(v5, signRecord(owner, 'k', 5, Buffer.from('a'))), 0)
  assert.equal(Math.sign(compareRecords(v5, w5)), -Math.sign(compareRecords(w5, v5)))
  assert.notEqual(compareRecords(v5, w5), 0)
})

test('bad key names and values are refused naming the field and what was expected', () => {
  assert.throws(() => checkKeyName(''), { code: 'USAGE', message: 'USAGE: key: expected a key name of 1-64 bytes of UTF-8 text, got ""' })
  assert.throws(() => checkKeyName('k'.repeat(65)), { code: 'KV_TOO_LARGE', message: 'KV_TOO_LARGE: key: expected at most 64 bytes, got 65' })
  assert.throws(() => checkKeyName('a\nb'), { code: 'USAGE', message: /key: expected text without control characters/ })
  assert.throws(() => checkKeyName('ab'.repeat(32)), { code: 'USAGE', message: /reads as an address/ })
  assert.throws(() => signRecord(owner, 'k', 1, Buffer.alloc(1001)), {
    code: 'KV_TOO_LARGE',
    message: 'KV_TOO_LARGE: value: expected at most 1000 bytes, got 1001'
  })
  assert.throws(() => signRecord(owner, 'k', -1, Buffer.alloc(1)), { code: 'USAGE', message: /seq: expected a non-negative integer, got -1/ })
  assert.equal(checkKeyName('profile/avatar ✓'), 'profile/avatar ✓')
})

test('the largest record fits the envelope limit (one datagram)', () => {
  const r = signRecord(owner, 'é'.repeat(32), Number.MAX_SAFE_INTEGER, Buffer.alloc(1000, 0xff))
  assert.ok(envelopeBytes(r).byteLength <= MAX_ENVELOPE_BYTES, `${envelopeBytes(r).byteLength} bytes`)
})
