import assert from 'node:assert/strict'
import { randomBytes } from 'node:crypto'
import { test } from 'node:test'
import { createHarness } from '../../host/plugins/index.ts'
import type { HarnessConnection } from '../../host/plugins/index.ts'
import { tempDir } from '../helpers/app-fixture.ts'
import { builtApp } from '../helpers/plugin-apps.ts'
import { teardown } from '../helpers/teardown.ts'

// The profile protocol (plugins/profile): frames of type u8, length u16 LE, payload.
const SET = 0x01
const PROFILE = 0x81
const UNKNOWN = 0x82
const SAVED = 0x83
const ERROR = 0xff

function frame(type: number, payload: Uint8Array = new Uint8Array(0)): Buffer {
  const out = Buffer.alloc(3 + payload.byteLength)
  out[0] = type
  out.writeUInt16LE(payload.byteLength, 1)
  out.set(payload, 3)
  return out
}

async function readFrame(c: HarnessConnection): Promise<{ type: number; payload: Buffer }> {
  const head = await c.read(3)
  return { type: head[0], payload: await c.read(head.readUInt16LE(1)) }
}

test('profile remembers a client by its key across a whole new runtime on the same storage', async (t) => {
  const cleanup = teardown(t)
  const { dir, cleanup: removeDir } = await tempDir('hn-profile-')
  cleanup(removeDir)
  const app = await builtApp('plugins', 'profile', { permissions: { storage: { quotaBytes: 64 * 1024 } } })
  const alice = randomBytes(32)
  const bob = randomBytes(32)

  const first = createHarness({ ...app, storageDir: dir })
  await first.ready()
  const a = first.open('profile', { peerKey: alice })
  assert.equal((await readFrame(a)).type, UNKNOWN)
  await a.write(frame(SET, Buffer.from('alice in wonderland')))
  assert.equal((await readFrame(a)).type, SAVED)
  a.end()
  await a.closed
  await first.close()

  const second = createHarness({ ...app, storageDir: dir })
  cleanup(() => second.close())
  await second.ready()
  const again = second.open('profile', { peerKey: alice })
  const seen = await readFrame(again)
  assert.equal(seen.type, PROFILE)
  assert.equal(seen.payload.toString(), 'alice in wonderland')
  const stranger = second.open('profile', { peerKey: bob })
  assert.equal((await readFrame(stranger)).type, UNKNOWN, 'another key sees nothing of alice')

  // an operator restart of the plugin (new worker, same runtime) keeps it too
  await second.restart()
  assert.equal((await readFrame(second.open('profile', { peerKey: alice }))).payload.toString(), 'alice in wonderland')
})

test('a write past the storage quota is refused with ENOSPACE and nothing is stored', async (t) => {
  const cleanup = teardown(t)
  // key "p" + 32-byte peer key = 33 bytes, so 64 bytes leave room for a 31-byte profile
  const app = await builtApp('plugins', 'profile', { permissions: { storage: { quotaBytes: 64 } } })
  const h = createHarness(app)
  cleanup(() => h.close())
  await h.ready()
  const key = randomBytes(32)

  const c = h.open('profile', { peerKey: key })
  await readFrame(c)
  await c.write(frame(SET, Buffer.alloc(32, 0x61)))
  const refused = await readFrame(c)
  assert.equal(refused.type, ERROR)
  assert.match(refused.payload.toString(), /ENOSPACE/)
  await c.closed

  const d = h.open('profile', { peerKey: key })
  assert.equal((await readFrame(d)).type, UNKNOWN)
  await d.write(frame(SET, Buffer.alloc(31, 0x61)))
  assert.equal((await readFrame(d)).type, SAVED, 'exactly the quota fits')
})
