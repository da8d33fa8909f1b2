import test, { before, after } from 'node:test'
import assert from 'node:assert/strict'
import { buildAll, closeCompiler, listTargets } from '../../scripts/build-plugins.js'
import { FakeHost, peerKey } from './fake-host.ts'

// The profile protocol (plugins/profile/README.md).
const SET = 0x01
const DELETE = 0x02
const PROFILE = 0x81
const UNKNOWN = 0x82
const SAVED = 0x83
const DELETED = 0x84
const ERROR = 0xff

let wasm = ''

before(async () => {
  await buildAll()
  wasm = (await listTargets()).find((t) => t.kind === 'plugin' && t.name === 'profile')!.outFile
})

after(closeCompiler)

function frame(type: number, payload: string | Buffer = ''): Buffer {
  const body = typeof payload === 'string' ? Buffer.from(payload) : payload
  const header = Buffer.from([type, body.length & 0xff, body.length >>> 8])
  return Buffer.concat([header, body])
}

function frames(bytes: Buffer): Array<{ type: number; payload: string }> {
  const out = []
  for (let off = 0; off < bytes.length;) {
    const len = bytes.readUInt16LE(off + 1)
    out.push({ type: bytes[off], payload: bytes.subarray(off + 3, off + 3 + len).toString() })
    off += 3 + len
  }
  return out
}

async function host(opts = {}): Promise<FakeHost> {
  const h = await FakeHost.load(wasm, opts)
  assert.equal(h.start(), 0)
  return h
}

test('a new client hears UNKNOWN, stores its profile and gets it back at once on later connections', async () => {
  const h = await host()
  h.open(1, peerKey(1), 'profile')
  assert.deepEqual(frames(h.take(1)), [{ type: UNKNOWN, payload: '' }])
  h.data(1, frame(SET, '{"name":"ada"}'))
  assert.deepEqual(frames(h.take(1)), [{ type: SAVED, payload: '' }])
  h.close(1)
  h.open(2, peerKey(1), 'profile')
  assert.deepEqual(frames(h.take(2)), [{ type: PROFILE, payload: '{"name":"ada"}' }])
})

test('a stored profile survives a restart of the app', async () => {
  const first = await host()
  first.open(1, peerKey(7), 'profile')
  first.data(1, frame(SET, 'seven'))
  // A new instance over the same storage is what a host restart looks like to the app.
  const second = await host({ store: first.store })
  second.open(1, peerKey(7), 'profile')
  assert.deepEqual(frames(second.take(1)), [{ type: PROFILE, payload: 'seven' }])
})

test('clients are told apart by the public key of their connection', async () => {
  const h = await host()
  h.open(1, peerKey(1), 'profile')
  h.data(1, frame(SET, 'one'))
  h.open(2, peerKey(2), 'profile')
  assert.deepEqual(frames(h.take(2)), [{ type: UNKNOWN, payload: '' }])
})

test('frames split across chunks or batched into one chunk are all handled', async () => {
  const h = await host()
  h.open(1, peerKey(3), 'profile')
  h.take(1)
  const bytes = Buffer.concat([frame(SET, 'first'), frame(SET, 'second'), frame(DELETE), frame(SET, 'third')])
  for (const b of bytes) h.data(1, Buffer.from([b]))
  h.data(1, Buffer.concat([frame(DELETE), frame(SET, 'fourth')]))
  assert.deepEqual(
    frames(h.take(1)).map((f) => f.type),
    [SAVED, SAVED, DELETED, SAVED, DELETED, SAVED]
  )
  h.open(2, peerKey(3), 'profile')
  assert.deepEqual(frames(h.take(2)), [{ type: PROFILE, payload: 'fourth' }])
})

test('DELETE forgets the profile', async () => {
  const h = await host()
  h.open(1, peerKey(4), 'profile')
  h.data(1, frame(SET, 'x'))
  h.data(1, frame(DELETE))
  h.open(2, peerKey(4), 'profile')
  assert.deepEqual(frames(h.take(2)), [{ type: UNKNOWN, payload: '' }])
  assert.equal(h.store.size, 0)
})

test('a profile over 4096 bytes gets ERROR, and the connection closes once the error is sent', async () => {
  const h = await host({ window: 1 })
  h.open(1, peerKey(5), 'profile')
  h.data(1, frame(SET, Buffer.alloc(4097, 0x61)))
  // The window was full (UNKNOWN is in flight): the error waits in the SDK, and so does the close.
  assert.equal(h.closedByPlugin.has(1), false)
  h.drain(1)
  assert.deepEqual(frames(h.take(1)), [
    { type: UNKNOWN, payload: '' },
    { type: ERROR, payload: 'a profile is at most 4096 bytes' }
  ])
  assert.equal(h.closedByPlugin.has(1), true)
  assert.equal(h.store.size, 0)
})

test('an unknown message type gets ERROR and closes the connection', async () => {
  const h = await host()
  h.open(1, peerKey(6), 'profile')
  h.take(1)
  h.data(1, frame(0x42, 'x'))
  assert.deepEqual(frames(h.take(1)), [{ type: ERROR, payload: 'unknown message type 66' }])
  assert.equal(h.closedByPlugin.has(1), true)
})

test('without the storage permission a SET is answered with ERROR', async () => {
  const h = await host({ storage: false })
  h.open(1, peerKey(8), 'profile')
  assert.deepEqual(frames(h.take(1)), [{ type: UNKNOWN, payload: '' }])
  assert.match(h.logs[0].text, /reading a profile failed: EDENIED/)
  h.data(1, frame(SET, 'x'))
  assert.deepEqual(frames(h.take(1)), [{ type: ERROR, payload: 'cannot store the profile: EDENIED' }])
})
