import test from 'node:test'
import assert from 'node:assert/strict'
import { lanAnswers, readAdverts } from '../../host/net/lan-records.ts'

/** The multicast DNS records of LAN discovery: what a host answers, and what it accepts from the link. */

const KEY = 'ab'.repeat(32)
const OTHER = 'cd'.repeat(32)
const instance = (key: string) => `${key.slice(0, 32)}._hypernet._udp.local`

test('a host reads back the PTR, SRV, TXT and A records another host answers with', () => {
  const answers = lanAnswers(instance(OTHER), OTHER, '192.168.1.20', 40001)
  assert.deepEqual(readAdverts({ answers }, instance(KEY)), [{ host: '192.168.1.20', port: 40001, key: OTHER }])
  // records may come as additionals, not only answers
  assert.deepEqual(readAdverts({ answers: answers.slice(0, 1), additionals: answers.slice(1) }, instance(KEY)), [
    { host: '192.168.1.20', port: 40001, key: OTHER }
  ])
})

test('its own answer is skipped', () => {
  assert.deepEqual(readAdverts({ answers: lanAnswers(instance(KEY), KEY, '192.168.1.10', 40000) }, instance(KEY)), [])
})

const bad: Array<[string, (records: any[]) => void]> = [
  ['an A record that is not an IPv4 address', (r) => (r[3].data = 'fe80::1')],
  ['a port of 0', (r) => (r[1].data.port = 0)],
  ['a port above 65535', (r) => (r[1].data.port = 70000)],
  ['a TXT key that is not 64 hex digits', (r) => (r[2].data = ['key=nothex'])],
  ['no TXT record', (r) => r.splice(2, 1)],
  ['no SRV record', (r) => r.splice(1, 1)],
  ['a PTR whose data is not a name', (r) => (r[0].data = 42)]
]
for (const [what, spoil] of bad) {
  test(`a response with ${what} is ignored`, () => {
    const answers: any[] = JSON.parse(JSON.stringify(lanAnswers(instance(OTHER), OTHER, '192.168.1.20', 40001)))
    spoil(answers)
    assert.deepEqual(readAdverts({ answers }, instance(KEY)), [])
  })
}

test('a response that is not an object at all is ignored', () => {
  assert.deepEqual(readAdverts(null, instance(KEY)), [])
  assert.deepEqual(readAdverts({ answers: 'x' }, instance(KEY)), [])
})
