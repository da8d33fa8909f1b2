import test from 'node:test'
import assert from 'node:assert/strict'
import DHT from 'hyperdht'
import { NAMESPACE } from '../../host/constants.ts'
import { DNS } from '../../host/constants.ts'
import { MAX_DESCRIPTOR_BYTES, encodeDescriptor } from '../../host/dns/descriptor.ts'
import { appSlot, layoutDescriptor } from '../../host/dns/descriptor-layout.ts'
import { pageKeyPair, signPage, signerProblem } from '../../host/dns/descriptor-page.ts'
import { decodeExact, encode, hostDescriptor } from '../../host/messages.ts'
import type { DescriptorAppWire, HostDescriptorWire } from '../../host/messages.ts'

const host = DHT.keyPair(Buffer.alloc(32, 1))
const app = (i: number): DescriptorAppWire => ({
  codeHash: Buffer.alloc(32, i),
  name: `app-${i}`,
  version: '1.0.0',
  publisher: Buffer.alloc(32, 0xbb),
  services: [{ name: 'echo', port: 7, key: Buffer.alloc(32, 0xcc) }]
})

// pinned: after the apps, flag bit 2 adds the page count; flag bit 4 the page binding
const GOLDEN_FIRST = '0102' + '11'.repeat(32) + 'fe4d46026b' + '00' + '05'
// both bridges and pages: bridges first, then the count, as the flag bits are ordered
const GOLDEN_BRIDGES_PAGES = '0103' + '11'.repeat(32) + 'fe4d46026b' + '00' + '010003776562' + 'dd'.repeat(32) + '02'
const GOLDEN_PAGE = '0104' + '11'.repeat(32) + 'fe4d46026b' + '00' + '03' + '22'.repeat(32) + '33'.repeat(64)

test('descriptor page fields encode to the pinned golden bytes and round-trip; old records are unchanged', () => {
  const first: HostDescriptorWire = { host: Buffer.alloc(32, 0x11), updated: 1795311181, apps: [], pages: 5 }
  const page: HostDescriptorWire = {
    host: Buffer.alloc(32, 0x11),
    updated: 1795311181,
    apps: [],
    page: { index: 3, key: Buffer.alloc(32, 0x22), signature: Buffer.alloc(64, 0x33) }
  }
  assert.equal(encode(hostDescriptor, first).toString('hex'), GOLDEN_FIRST)
  assert.equal(encode(hostDescriptor, page).toString('hex'), GOLDEN_PAGE)
  const both: HostDescriptorWire = { ...first, bridges: [{ name: 'web', key: Buffer.alloc(32, 0xdd) }], pages: 2 }
  assert.equal(encode(hostDescriptor, both).toString('hex'), GOLDEN_BRIDGES_PAGES)
  assert.equal(decodeExact(hostDescriptor, Buffer.from(GOLDEN_BRIDGES_PAGES, 'hex'), 'd').pages, 2)
  assert.equal(decodeExact(hostDescriptor, Buffer.from(GOLDEN_FIRST, 'hex'), 'd').pages, 5)
  const back = decodeExact(hostDescriptor, Buffer.from(GOLDEN_PAGE, 'hex'), 'd')
  assert.equal(back.page!.index, 3)
  assert.equal(Buffer.from(back.page!.signature).toString('hex'), '33'.repeat(64))
  assert.equal(
    encode(hostDescriptor, { ...first, pages: 0 })
      .toString('hex')
      .slice(0, 4),
    '0100',
    'no pages, no flag: what hosts wrote before pages'
  )
  for (let n = 0; n < GOLDEN_PAGE.length / 2; n++) {
    assert.throws(() => decodeExact(hostDescriptor, Buffer.from(GOLDEN_PAGE, 'hex').subarray(0, n), 'd'), { code: 'BAD_MESSAGE' })
  }
})

test('a page is vouched for only under its own key, bound by the host it names', () => {
  assert.equal(NAMESPACE.DESCRIPTOR_PAGE.byteLength, 32)
  const kp = pageKeyPair(host.secretKey, 2)
  assert.deepEqual(kp.publicKey, pageKeyPair(host.secretKey, 2).publicKey, 'stable')
  assert.notDeepEqual(kp.publicKey, pageKeyPair(host.secretKey, 3).publicKey, 'one key per page')
  const d: HostDescriptorWire = { host: host.publicKey, updated: 1, apps: [], page: signPage(host, kp.publicKey, 2) }
  assert.equal(signerProblem(d, kp.publicKey), null)
  assert.equal(signerProblem({ host: host.publicKey, updated: 1, apps: [] }, host.publicKey), null, "the host's own record")
  assert.equal(signerProblem(d, host.publicKey), 'descriptor page names another key')
  assert.equal(signerProblem({ ...d, page: { ...d.page!, index: 3 } }, kp.publicKey), 'descriptor page is not signed by the host it names')
  assert.equal(signerProblem({ ...d, host: DHT.keyPair().publicKey }, kp.publicKey), 'descriptor page is not signed by the host it names')
  assert.equal(signerProblem({ ...d, page: { ...d.page!, index: 0 } }, kp.publicKey), 'descriptor page index out of range')
  assert.equal(signerProblem({ ...d, pages: 2 }, kp.publicKey), 'a descriptor page cannot list pages')
  assert.equal(signerProblem({ host: host.publicKey, updated: 1, apps: [] }, kp.publicKey), 'descriptor names another host')
})

test('the layout fills every record to at most 1000 bytes with the largest header values', () => {
  const apps = Array.from({ length: 100 }, (_, i) => app(i))
  const bridges = [{ name: 'web', key: Buffer.alloc(32, 0xdd) }]
  const { pages, unlisted } = layoutDescriptor(apps, bridges)
  assert.equal(unlisted.length, 0)
  assert.deepEqual(
    pages
      .flat()
      .map((a) => a.name)
      .sort(),
    apps.map((a) => a.name).sort(),
    'each app once'
  )
  assert.ok(pages.length >= 12 && pages.length <= 16, `${pages.length} records for 100 apps`)
  const sig = Buffer.alloc(64)
  for (const [i, list] of pages.entries()) {
    const d: HostDescriptorWire =
      i === 0
        ? { host: host.publicKey, updated: 0xffffffff, apps: list, bridges, pages: DNS.maxDescriptorPages }
        : { host: host.publicKey, updated: 0xffffffff, apps: list, page: { index: DNS.maxDescriptorPages, key: host.publicKey, signature: sig } }
    assert.ok(encodeDescriptor(d).byteLength <= MAX_DESCRIPTOR_BYTES)
    if (i < pages.length - 1) assert.throws(() => encodeDescriptor({ ...d, apps: [...list, app(200), app(201)] }), { code: 'USAGE' }, 'records are full')
  }
})

test('an app keeps its page when others come and go, so only what changed is re-announced', () => {
  const apps = Array.from({ length: 30 }, (_, i) => app(i))
  const first = layoutDescriptor(apps, [])
  const slots = new Map(first.pages.flatMap((list, i) => list.map((a) => [appSlot(a), i] as [string, number])))
  // one app of the first record goes, one new app comes
  const gone = first.pages[0][0]
  const next = layoutDescriptor([...apps.filter((a) => a !== gone), app(99)], [], slots)
  for (const [i, list] of next.pages.entries())
    for (const a of list) if (a.name !== 'app-99') assert.equal(slots.get(appSlot(a)), i, `${a.name} stayed on page ${i}`)
  assert.equal(
    next.pages[0].some((a) => a.name === 'app-99'),
    true,
    'the new app fills the room left'
  )
})

test('apps beyond the last page are unlisted, not an error', () => {
  const huge = { ...app(1), services: Array.from({ length: 40 }, (_, i) => ({ name: `s${i}`, port: i, key: Buffer.alloc(32) })) }
  const { pages, unlisted } = layoutDescriptor([app(2), huge], [])
  assert.deepEqual(
    unlisted.map((a) => a.name),
    ['app-1'],
    'an app too big for any record'
  )
  assert.deepEqual(
    pages.flat().map((a) => a.name),
    ['app-2']
  )
})
