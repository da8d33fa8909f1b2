import test from 'node:test'
import assert from 'node:assert/strict'
import { bridgeServiceHash } from '../../host/bridge/bridge-service-hash.ts'
import { NAMESPACE } from '../../host/constants.ts'
import { entriesFor } from '../../host/dns/descriptor.ts'
import { serviceHash } from '../../host/manifest/hashes.ts'
import { decodeExact, encode, hostDescriptor } from '../../host/messages.ts'
import type { HostDescriptorWire } from '../../host/messages.ts'

const app = {
  codeHash: Buffer.alloc(32, 0xaa),
  name: 'echo',
  version: '1.0.0',
  publisher: Buffer.alloc(32, 0xbb),
  services: [{ name: 'echo', port: 7, key: Buffer.alloc(32, 0xcc) }]
}
const plain: HostDescriptorWire = { host: Buffer.alloc(32, 0x11), updated: 1795311181, apps: [app] }
const withBridge: HostDescriptorWire = { ...plain, bridges: [{ name: 'web', key: Buffer.alloc(32, 0xdd) }] }

const APP_HEX =
  '00aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa046563686f05312e302e30' +
  'bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb0100046563686f07' +
  'cccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccc'
// pinned: a descriptor without bridges must stay byte for byte what hosts before bridges wrote
const GOLDEN_PLAIN = '0100' + '11'.repeat(32) + 'fe4d46026b' + '01' + APP_HEX
// flags bit 1, then after the apps: bridges [{ flags 0, name "web", key }]
const GOLDEN_BRIDGE = '0101' + '11'.repeat(32) + 'fe4d46026b' + '01' + APP_HEX + '010003776562' + 'dd'.repeat(32)

function plainBytes<T>(x: T): T {
  return JSON.parse(
    JSON.stringify(x, (_k, v) =>
      v && v.type === 'Buffer' ? Buffer.from(v.data).toString('hex') : v instanceof Uint8Array ? Buffer.from(v).toString('hex') : v
    )
  )
}

test('a descriptor without bridges encodes to the bytes hosts wrote before bridges existed', () => {
  const buf = encode(hostDescriptor, plain)
  assert.equal(buf.toString('hex'), GOLDEN_PLAIN)
  assert.equal(encode(hostDescriptor, { ...plain, bridges: [] }).toString('hex'), GOLDEN_PLAIN, 'an empty list takes no bytes')
  const back = decodeExact(hostDescriptor, buf, 'descriptor')
  assert.equal(back.bridges, undefined)
  assert.deepEqual(plainBytes(back), plainBytes(plain))
})

test('a descriptor with bridges encodes to the pinned golden bytes and round-trips', () => {
  const buf = encode(hostDescriptor, withBridge)
  assert.equal(buf.toString('hex'), GOLDEN_BRIDGE)
  assert.equal(buf.byteLength, GOLDEN_BRIDGE.length / 2)
  assert.deepEqual(plainBytes(decodeExact(hostDescriptor, buf, 'descriptor')), plainBytes(withBridge))
})

test('truncated, trailing and lying bridge bytes are refused with BAD_MESSAGE, never a crash', () => {
  const buf = encode(hostDescriptor, withBridge)
  for (let n = 0; n < buf.byteLength; n++) assert.throws(() => decodeExact(hostDescriptor, buf.subarray(0, n), 'd'), { code: 'BAD_MESSAGE' })
  assert.throws(() => decodeExact(hostDescriptor, Buffer.concat([buf, Buffer.from([0])]), 'd'), { code: 'BAD_MESSAGE', message: /1 trailing bytes/ })
  // the flag set but a bridge count far past the bytes left
  const lying = Buffer.concat([encode(hostDescriptor, plain), Buffer.from([0xfd, 0xff, 0xff])])
  lying[1] = 1
  assert.throws(() => decodeExact(hostDescriptor, lying, 'd'), { code: 'BAD_MESSAGE', message: /exceeds/ })
  const v2 = Buffer.from(buf)
  v2[0] = 2
  assert.throws(() => decodeExact(hostDescriptor, v2, 'd'), { code: 'BAD_MESSAGE', message: /version 2 is not supported/ })
})

test('an exposed service hash is SHA-256 of its namespace, the host key and the name, apart from app services', () => {
  // SHA-256("hypernet/bridge-service/v1"), as the README documents it
  assert.equal(NAMESPACE.BRIDGE_SERVICE.toString('hex'), '0f4b91b21e9f70bfe95fb6d5678d5af00b434fe49a54c654a430df9b73a2cbac')
  const h = bridgeServiceHash(plain.host, 'web')
  assert.equal(h.byteLength, 32)
  assert.notDeepEqual(h, bridgeServiceHash(Buffer.alloc(32, 0x22), 'web'), 'another host exposing "web" is another service')
  assert.notDeepEqual(h, serviceHash(Buffer.alloc(32), 'web'), 'never an app service hash')
})

test('a verified lookup entry vouches for a bridge by its recomputed hash only', () => {
  const hash = bridgeServiceHash(plain.host, 'web')
  const entries = entriesFor(withBridge, hash)
  assert.equal(entries.length, 1)
  assert.equal(entries[0].kind, 'bridge')
  assert.equal(entries[0].service, 'web')
  assert.equal(entries[0].serviceKey, 'dd'.repeat(32))
  assert.equal(entries[0].publisher, '11'.repeat(32))
  // the same descriptor under another host key vouches for nothing
  assert.deepEqual(entriesFor({ ...withBridge, host: Buffer.alloc(32, 0x22) }, hash), [])
  assert.deepEqual(entriesFor(plain, hash), [])
})
