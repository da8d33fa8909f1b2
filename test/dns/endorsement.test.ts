import test from 'node:test'
import assert from 'node:assert/strict'
import { randomBytes } from 'node:crypto'
import DHT from 'hyperdht'
import type { SecretStream } from 'hyperdht'
import sodium from 'sodium-native'
import { Advertiser } from '../../host/dns/advertiser.ts'
import { endorsementCheck, endorsementKeyPair, endorsementRecordKey, openEndorsement, publishEndorsement, signEndorsement } from '../../host/dns/endorsement.ts'
import { lookupVerified } from '../../host/dns/lookup.ts'
import type { LookupPeer } from '../../host/dns/lookup.ts'
import { serviceHash } from '../../host/manifest/hashes.ts'
import { silentLogger } from '../../host/log/logger.ts'
import { decodeExact, encode, endorsement } from '../../host/messages.ts'
import type { DescriptorAppWire, EndorsementWire } from '../../host/messages.ts'
import { dialServiceHash } from '../../host/net/dialer.ts'
import { startTestnet } from '../helpers/testnet.ts'
import { teardown } from '../helpers/teardown.ts'
import { tempDir } from '../helpers/app-fixture.ts'
import { cli } from '../helpers/cli.ts'

const sample: EndorsementWire = {
  publisher: Buffer.alloc(32, 0xaa),
  host: Buffer.alloc(32, 0xbb),
  issued: 1800000000,
  expires: 1900000000,
  grants: [
    { name: 'echo', codeHash: null },
    { name: null, codeHash: Buffer.alloc(32, 0xcc) }
  ],
  signature: Buffer.alloc(64, 0xdd)
}

// pinned: changing the encoding breaks every endorsement ever signed
const GOLDEN = '0101' + 'aa'.repeat(32) + 'bb'.repeat(32) + 'fe00d2496b' + 'fe00b33f71' + '02' + '01046563686f' + '02' + 'cc'.repeat(32) + 'dd'.repeat(64)

const plain = (e: EndorsementWire) =>
  JSON.parse(
    JSON.stringify(e, (_k, v) =>
      v && v.type === 'Buffer' ? Buffer.from(v.data).toString('hex') : v instanceof Uint8Array ? Buffer.from(v).toString('hex') : v
    )
  )

test('an endorsement encodes to the pinned golden bytes, round-trips and consumes every byte', () => {
  const buf = encode(endorsement, sample)
  assert.equal(buf.toString('hex'), GOLDEN)
  assert.equal(buf.byteLength, 180)
  assert.deepEqual(plain(decodeExact(endorsement, buf, 'endorsement')), plain(sample))
  const bare = encode(endorsement, { ...sample, expires: null, grants: [] })
  assert.equal(bare[1], 0, 'no expiry: flags zero')
  assert.equal(decodeExact(endorsement, bare, 'e').expires, null)
})

test('an unknown endorsement version, a grant naming nothing, truncated and trailing bytes are refused', () => {
  const buf = encode(endorsement, sample)
  const v2 = Buffer.from(buf)
  v2[0] = 2
  assert.throws(() => decodeExact(endorsement, v2, 'endorsement'), { code: 'BAD_MESSAGE', message: /version 2 is not supported/ })
  const unknownFlag = Buffer.from(buf)
  unknownFlag[1] = 3
  assert.throws(() => decodeExact(endorsement, unknownFlag, 'endorsement'), { code: 'BAD_MESSAGE', message: /unknown flags 3/ })
  const empty = encode(endorsement, { ...sample, grants: [{ name: 'x', codeHash: null }] })
  empty[empty.byteLength - 64 - 3] = 0 // the grant's flags
  assert.throws(() => decodeExact(endorsement, empty, 'endorsement'), { code: 'BAD_MESSAGE' })
  for (let n = 0; n < buf.byteLength; n++) assert.throws(() => decodeExact(endorsement, buf.subarray(0, n), 'endorsement'), { code: 'BAD_MESSAGE' })
  assert.throws(() => decodeExact(endorsement, Buffer.concat([buf, Buffer.from([0])]), 'endorsement'), { code: 'BAD_MESSAGE' })
})

test('the record key anyone derives from publisher and host is the one only the publisher can sign for', () => {
  for (let i = 0; i < 20; i++) {
    const publisher = DHT.keyPair()
    const host = DHT.keyPair().publicKey
    const kp = endorsementKeyPair(publisher, host)
    assert.ok(kp.publicKey.equals(endorsementRecordKey(publisher.publicKey, host)))
    const msg = randomBytes(40)
    assert.ok(sodium.crypto_sign_verify_detached(kp.sign(msg), msg, kp.publicKey))
    assert.ok(!kp.publicKey.equals(endorsementRecordKey(publisher.publicKey, DHT.keyPair().publicKey)), 'another host, another record')
  }
})

test('a record for another host or publisher, with a bad signature, expired, or malformed, opens to null, never a crash', () => {
  const publisher = DHT.keyPair()
  const host = DHT.keyPair().publicKey
  const now = 1_800_000_000
  const good = signEndorsement(publisher, { publisher: publisher.publicKey, host, issued: now, expires: now + 60, grants: [{ name: 'echo', codeHash: null }] })
  assert.ok(openEndorsement(encode(endorsement, good), publisher.publicKey, host, now))
  assert.equal(openEndorsement(encode(endorsement, good), publisher.publicKey, DHT.keyPair().publicKey, now), null)
  assert.equal(openEndorsement(encode(endorsement, good), DHT.keyPair().publicKey, host, now), null)
  assert.equal(openEndorsement(encode(endorsement, good), publisher.publicKey, host, now + 60), null, 'expired')
  const forged = encode(endorsement, { ...good, grants: [{ name: 'other', codeHash: null }] })
  assert.equal(openEndorsement(forged, publisher.publicKey, host, now), null, 'grants changed after signing')
  const started = Date.now()
  for (let i = 0; i < 20_000; i++) assert.equal(openEndorsement(randomBytes(i % 300), publisher.publicKey, host, now), null)
  const bytes = encode(endorsement, good)
  for (let i = 0; i < 5_000; i++) {
    const b = Buffer.from(bytes)
    b[i % b.byteLength] ^= 1 + (i % 255)
    assert.equal(openEndorsement(b, publisher.publicKey, host, now), null)
  }
  assert.ok(Date.now() - started < 10_000)
})

function app(publisher: Buffer, serviceKey: Buffer): DescriptorAppWire {
  return { codeHash: Buffer.alloc(32, 7), name: 'echo', version: '1.0.0', publisher, services: [{ name: 'echo', port: 7, key: serviceKey }] }
}

async function collect(it: AsyncGenerator<LookupPeer>): Promise<LookupPeer[]> {
  const out: LookupPeer[] = []
  for await (const p of it) out.push(p)
  return out
}

test(
  'a rogue listing the real code hash and publisher is host-vouched but not endorsed; --endorsed returns and dials only the endorsed host',
  { timeout: 60_000 },
  async (t) => {
    const defer = teardown(t)
    const testnet = await startTestnet(10)
    defer(() => testnet.destroy())
    const publisher = DHT.keyPair()
    const code = Buffer.alloc(32, 7)
    const realKey = Buffer.alloc(32, 1)
    const rogueKey = Buffer.alloc(32, 2)
    const real = DHT.keyPair()
    const rogue = DHT.keyPair()
    for (const [kp, key] of [
      [real, realKey],
      [rogue, rogueKey]
    ] as const) {
      const adv = new Advertiser(testnet.createNode(), kp, silentLogger())
      defer(() => adv.close())
      await adv.setApps([app(publisher.publicKey, key)])
    }
    // a second publisher whose record for its host is garbage, and one whose record names another host
    const sloppy = DHT.keyPair()
    const sloppyHost = DHT.keyPair()
    const other = DHT.keyPair()
    const otherHost = DHT.keyPair()
    for (const [kp, p] of [
      [sloppyHost, sloppy],
      [otherHost, other]
    ] as const) {
      const adv = new Advertiser(testnet.createNode(), kp, silentLogger())
      defer(() => adv.close())
      await adv.setApps([app(p.publicKey, Buffer.alloc(32, 3))])
    }
    const writer = testnet.createNode()
    await writer.mutablePut(endorsementKeyPair(sloppy, sloppyHost.publicKey) as any, randomBytes(90))
    const wrongHost = signEndorsement(other, {
      publisher: other.publicKey,
      host: real.publicKey,
      issued: 1,
      expires: null,
      grants: [{ name: 'echo', codeHash: null }]
    })
    await writer.mutablePut(endorsementKeyPair(other, otherHost.publicKey) as any, encode(endorsement, wrongHost))

    await publishEndorsement(writer, publisher, real.publicKey, { name: null, codeHash: code })

    const client = testnet.createNode()
    defer(() => client.destroy())
    const sh = serviceHash(code, 'echo')
    const plainLookup = await collect(lookupVerified(client, sh, { timeoutMs: 5000 }))
    assert.equal(plainLookup.length, 4)
    assert.ok(plainLookup.every((p) => p.level === 'host-vouched' && p.vouchedBy === 'host' && p.verified && !p.endorsement))

    const checked = await collect(lookupVerified(client, sh, { timeoutMs: 5000, endorsements: endorsementCheck(client) }))
    const level = (hostKey: Buffer) => checked.find((p) => p.hostKey === hostKey.toString('hex'))?.level
    assert.equal(level(real.publicKey), 'publisher-endorsed')
    assert.equal(level(rogue.publicKey), 'host-vouched', 'the rogue copied the publisher key: still not endorsed')
    assert.equal(level(sloppyHost.publicKey), 'host-vouched', 'a malformed record is ignored')
    assert.equal(level(otherHost.publicKey), 'host-vouched', 'a record naming another host is ignored')
    assert.equal(checked.find((p) => p.level === 'publisher-endorsed')!.endorsement!.publisher, publisher.publicKey.toString('hex'))

    const endorsed = await collect(lookupVerified(client, sh, { timeoutMs: 5000, endorsements: endorsementCheck(client), endorsedOnly: true }))
    assert.deepEqual(
      endorsed.map((p) => p.hostKey),
      [real.publicKey.toString('hex')]
    )

    // trusted hosts: only those, marked
    const trusted = await collect(lookupVerified(client, sh, { timeoutMs: 5000, hosts: new Set([rogue.publicKey.toString('hex')]) }))
    assert.deepEqual(
      trusted.map((p) => [p.hostKey, p.trustedHost]),
      [[rogue.publicKey.toString('hex'), true]]
    )

    for (let i = 0; i < 3; i++) {
      const dialed: string[] = []
      const connect = async (key: Buffer) => {
        dialed.push(key.toString('hex'))
        return {} as SecretStream
      }
      const r = await dialServiceHash(client, sh, { timeoutMs: 5000, endorsed: true, connect })
      assert.deepEqual(dialed, [realKey.toString('hex')], 'only the endorsed host is dialed')
      assert.equal(r.peer.hostKey, real.publicKey.toString('hex'))
    }

    // an endorsement by app name covers the host too, and the record keeps both grants
    const { record } = await publishEndorsement(writer, publisher, real.publicKey, { name: 'echo', codeHash: null })
    assert.equal(record.grants.length, 2)
  }
)

test('connect --endorsed reaches the endorsed host and never the rogue that copied its descriptor entry', { timeout: 90_000 }, async (t) => {
  const defer = teardown(t)
  const testnet = await startTestnet(10)
  defer(() => testnet.destroy())
  const tmp = await tempDir()
  defer(tmp.cleanup)
  const publisher = DHT.keyPair()
  const code = Buffer.alloc(32, 7)
  const sh = serviceHash(code, 'echo')
  const hosts: Array<{ name: string; kp: ReturnType<typeof DHT.keyPair> }> = [
    { name: 'real', kp: DHT.keyPair() },
    { name: 'rogue', kp: DHT.keyPair() }
  ]
  for (const h of hosts) {
    const node = testnet.createNode()
    const serviceKeys = DHT.keyPair()
    // each answers with its own name, so the client sees whom it reached
    const server = node.createServer({}, (sock: SecretStream) => {
      sock.on('error', () => {})
      sock.once('data', (d: Buffer) => sock.end(Buffer.concat([Buffer.from(`${h.name}:`), d])))
    })
    await server.listen(serviceKeys)
    defer(() => server.close())
    const adv = new Advertiser(node, h.kp, silentLogger())
    defer(() => adv.close())
    await adv.setApps([app(publisher.publicKey, serviceKeys.publicKey)])
  }
  await publishEndorsement(testnet.createNode(), publisher, hosts[0].kp.publicKey, { name: 'echo', codeHash: null })
  const bootstrap = `${testnet.bootstrap[0].host}:${testnet.bootstrap[0].port}`
  for (let i = 0; i < 3; i++) {
    const r = await cli(tmp.dir, ['connect', sh.toString('hex'), '--endorsed', '--bootstrap', bootstrap, '--timeout', '20'], { answer: 'hi' })
    assert.equal(r.code, 0, r.stderr)
    assert.equal(r.stdout, 'real:hi\n')
    assert.match(r.stderr, /endorsed by publisher/)
  }
  const unendorsed = await cli(tmp.dir, ['lookup', sh.toString('hex'), '--bootstrap', bootstrap, '--json', '--timeout', '5'])
  const levels = unendorsed.stdout
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l))
    .map((p) => [p.hostKey === hosts[0].kp.publicKey.toString('hex') ? 'real' : 'rogue', p.level, p.vouchedBy])
    .sort()
  assert.deepEqual(levels, [
    ['real', 'publisher-endorsed', 'host'],
    ['rogue', 'host-vouched', 'host']
  ])
})
