import test from 'node:test'
import assert from 'node:assert/strict'
import DHT from 'hyperdht'
import {
  HIDDEN_DESCRIPTOR_MAX,
  ONION_MAX_DATA,
  ONION_MAX_SEALED,
  RELAY_CMD,
  decodeExact,
  encode,
  hiddenDescriptor,
  onionCookie,
  onionEstablishIntro,
  onionFetch,
  onionIntroduce,
  onionIntroduction,
  onionRecord
} from '../../host/messages.ts'
import { hiddenKeyPair, openDescriptor, signDescriptor, verifyRecord } from '../../host/onion/hidden-record.ts'
import { introSignable } from '../../host/onion/hidden-relay.ts'
import { parseHiddenSpecs } from '../../host/daemon/host-hidden.ts'

const k = (b: number) => Buffer.alloc(32, b)
const hex = (b: Uint8Array) => Buffer.from(b).toString('hex')

// pinned: a change here breaks every relay, hidden service and client on the network
const GOLDEN = {
  establishIntro: '00' + '11'.repeat(32) + '22'.repeat(64),
  cookie: '00' + '33'.repeat(32),
  cookieWindows: '01' + '33'.repeat(32), // flag bit 1: keeps stream windows
  introduce: '00' + '44'.repeat(32) + '03' + 'aabbcc',
  introduction: '00' + '55'.repeat(32) + '66'.repeat(32),
  introductionWindows: '01' + '55'.repeat(32) + '66'.repeat(32),
  fetch: '00' + '77'.repeat(32),
  record: '00' + '88'.repeat(32) + '2a' + '99'.repeat(64) + '02' + 'dead',
  descriptor: '0100' + 'fde803' + '02' + 'a1'.repeat(32) + 'a2'.repeat(32) // version 1, flags, updated 1000 (compact uint), 2 intros
}

test('hidden-service commands keep their wire numbers (append-only)', () => {
  assert.deepEqual(
    [
      RELAY_CMD.ESTABLISH_INTRO,
      RELAY_CMD.INTRO_ESTABLISHED,
      RELAY_CMD.ESTABLISH_RENDEZVOUS,
      RELAY_CMD.RENDEZVOUS_ESTABLISHED,
      RELAY_CMD.INTRODUCE1,
      RELAY_CMD.INTRODUCE2,
      RELAY_CMD.INTRODUCE_ACK,
      RELAY_CMD.RENDEZVOUS1,
      RELAY_CMD.RENDEZVOUS2,
      RELAY_CMD.PUBLISH,
      RELAY_CMD.PUBLISHED,
      RELAY_CMD.FETCH,
      RELAY_CMD.FETCHED
    ],
    [8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20]
  )
})

test('hidden-service structs encode to the pinned bytes, consume them all, and round-trip', () => {
  const cases: Array<[string, Buffer, Record<string, unknown>, (b: Buffer) => unknown]> = [
    [
      GOLDEN.establishIntro,
      encode(onionEstablishIntro, { serviceKey: k(0x11), signature: Buffer.alloc(64, 0x22) }),
      { serviceKey: k(0x11), signature: Buffer.alloc(64, 0x22) },
      (b) => decodeExact(onionEstablishIntro, b, 'x')
    ],
    [GOLDEN.cookie, encode(onionCookie, { cookie: k(0x33) }), { cookie: k(0x33), windows: false }, (b) => decodeExact(onionCookie, b, 'x')],
    [
      GOLDEN.cookieWindows,
      encode(onionCookie, { cookie: k(0x33), windows: true }),
      { cookie: k(0x33), windows: true },
      (b) => decodeExact(onionCookie, b, 'x')
    ],
    [
      GOLDEN.introduce,
      encode(onionIntroduce, { serviceKey: k(0x44), sealed: Buffer.from('aabbcc', 'hex') }),
      { serviceKey: k(0x44), sealed: Buffer.from('aabbcc', 'hex') },
      (b) => decodeExact(onionIntroduce, b, 'x')
    ],
    [
      GOLDEN.introduction,
      encode(onionIntroduction, { rendezvousKey: k(0x55), cookie: k(0x66) }),
      { rendezvousKey: k(0x55), cookie: k(0x66), windows: false },
      (b) => decodeExact(onionIntroduction, b, 'x')
    ],
    [
      GOLDEN.introductionWindows,
      encode(onionIntroduction, { rendezvousKey: k(0x55), cookie: k(0x66), windows: true }),
      { rendezvousKey: k(0x55), cookie: k(0x66), windows: true },
      (b) => decodeExact(onionIntroduction, b, 'x')
    ],
    [GOLDEN.fetch, encode(onionFetch, { key: k(0x77) }), { key: k(0x77) }, (b) => decodeExact(onionFetch, b, 'x')],
    [
      GOLDEN.record,
      encode(onionRecord, { key: k(0x88), seq: 42, signature: Buffer.alloc(64, 0x99), value: Buffer.from('dead', 'hex') }),
      { key: k(0x88), seq: 42, signature: Buffer.alloc(64, 0x99), value: Buffer.from('dead', 'hex') },
      (b) => decodeExact(onionRecord, b, 'x')
    ],
    [
      GOLDEN.descriptor,
      encode(hiddenDescriptor, { updated: 1000, intros: [k(0xa1), k(0xa2)] }),
      { updated: 1000, intros: [k(0xa1), k(0xa2)] },
      (b) => decodeExact(hiddenDescriptor, b, 'x')
    ]
  ]
  for (const [golden, buf, value, decode] of cases) {
    assert.equal(hex(buf), golden)
    assert.ok(buf.byteLength <= ONION_MAX_DATA, 'fits one relay message')
    const back = decode(buf) as Record<string, unknown>
    for (const key of Object.keys(back)) {
      const v = back[key]
      if (v instanceof Uint8Array) back[key] = Buffer.from(v)
      if (Array.isArray(v)) back[key] = v.map((x) => Buffer.from(x))
    }
    assert.deepEqual(back, value)
    // one byte more is refused: decodeExact insists every byte is consumed
    assert.throws(() => decode(Buffer.concat([buf, Buffer.from([0])])), { code: 'BAD_MESSAGE' })
  }
})

test('the largest record and sealed introduction still fit one relay message', () => {
  const record = encode(onionRecord, { key: k(1), seq: 2 ** 40, signature: Buffer.alloc(64), value: Buffer.alloc(HIDDEN_DESCRIPTOR_MAX) })
  assert.ok(record.byteLength <= ONION_MAX_DATA, `${record.byteLength} <= ${ONION_MAX_DATA}`)
  const intro = encode(onionIntroduce, { serviceKey: k(1), sealed: Buffer.alloc(ONION_MAX_SEALED) })
  assert.ok(intro.byteLength <= ONION_MAX_DATA)
  assert.throws(() => decodeExact(onionIntroduce, encode(onionIntroduce, { serviceKey: k(1), sealed: Buffer.alloc(ONION_MAX_SEALED + 1) }), 'x'), {
    code: 'BAD_MESSAGE',
    message: /exceeds/
  })
})

test('a descriptor of another version, or with too many intro points, is refused', () => {
  const buf = encode(hiddenDescriptor, { updated: 1, intros: [k(1)] })
  assert.throws(() => decodeExact(hiddenDescriptor, Buffer.concat([Buffer.from([2]), buf.subarray(1)]), 'd'), {
    code: 'BAD_MESSAGE',
    message: /version 2 is not supported/
  })
  const many = encode(hiddenDescriptor, { updated: 1, intros: Array.from({ length: 9 }, (_, i) => k(i)) })
  assert.throws(() => decodeExact(hiddenDescriptor, many, 'd'), { code: 'BAD_MESSAGE' })
})

test('a signed descriptor verifies under its key, and any change to it does not', async () => {
  const kp = DHT.keyPair()
  const record = signDescriptor(kp, [k(0xa1), k(0xa2), k(0xa3)], 77)
  assert.ok(verifyRecord(record))
  const d = openDescriptor(kp.publicKey, record)
  assert.deepEqual(
    d.intros.map((x) => Buffer.from(x)),
    [k(0xa1), k(0xa2), k(0xa3)]
  )
  // a relay that swaps in its own intro points, bumps the seq, or answers for another key is caught
  const value = Buffer.from(record.value)
  value[value.length - 1] ^= 1
  assert.throws(() => openDescriptor(kp.publicKey, { ...record, value }), { code: 'CIRCUIT_FAILED', message: /does not verify against its key/ })
  assert.throws(() => openDescriptor(kp.publicKey, { ...record, seq: 78 }), { code: 'CIRCUIT_FAILED', message: /does not verify/ })
  const other = DHT.keyPair()
  assert.throws(() => openDescriptor(other.publicKey, record), { code: 'CIRCUIT_FAILED', message: /came back under another key/ })
  // well signed but not a descriptor: malformed
  const junk = { ...signDescriptor(other, [], 1) }
  junk.value = Buffer.from('zz')
  junk.signature = (await import('hyperdht/lib/persistent.js')).default.signMutable(1, junk.value, other)
  assert.throws(() => openDescriptor(other.publicKey, junk), { code: 'CIRCUIT_FAILED', message: /is malformed/ })
})

test('hidden keys are stable per host and service, and unlike anything else the host has', () => {
  const host = DHT.keyPair()
  const a = hiddenKeyPair(host.secretKey, k(1))
  assert.deepEqual(a.publicKey, hiddenKeyPair(host.secretKey, k(1)).publicKey)
  assert.notDeepEqual(a.publicKey, hiddenKeyPair(host.secretKey, k(2)).publicKey)
  assert.notDeepEqual(a.publicKey, hiddenKeyPair(DHT.keyPair().secretKey, k(1)).publicKey)
})

test('an intro signature is bound to the hop: another binding gives other bytes to sign', () => {
  assert.notDeepEqual(introSignable(k(1), k(9)), introSignable(k(2), k(9)))
  assert.notDeepEqual(introSignable(k(1), k(9)), introSignable(k(1), k(8)))
})

test('--hidden takes <app> or <app>/<service>, and names a bad value', () => {
  assert.deepEqual(parseHiddenSpecs(['echo', 'chat/room.v2']), [
    { app: 'echo', service: null },
    { app: 'chat', service: 'room.v2' }
  ])
  for (const bad of ['', 'Echo', 'echo/', '/echo', 'echo/a/b', 'e cho']) {
    assert.throws(() => parseHiddenSpecs([bad]), {
      code: 'USAGE',
      message: new RegExp(`--hidden: expected <app> or <app>/<service>, got "${bad.replace('/', '\\/')}"`)
    })
  }
})
