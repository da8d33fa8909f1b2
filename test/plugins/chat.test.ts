import assert from 'node:assert/strict'
import { test } from 'node:test'
import { formatId } from '../../host/encoding/ids.ts'
import { serviceHash } from '../../host/manifest/hashes.ts'
import { createDuplexPair, createHarness, HarnessConnection } from '../../host/plugins/index.ts'
import type { AppRef, DialTarget } from '../../host/plugins/index.ts'
import { builtApp, until } from '../helpers/plugin-apps.ts'
import { teardown } from '../helpers/teardown.ts'

const chatGrants = { permissions: { dial: ['self/chat'], timers: true } }

test('chat fans a line out from one client to the others, never back to the sender', async (t) => {
  const cleanup = teardown(t)
  // no other room to federate with: a room dialing itself would relay lines back until it
  // recognises its own hello, which is the federation's business, not this test's
  const h = createHarness({
    ...(await builtApp('plugins', 'chat', chatGrants)),
    dial: async (target) => {
      throw new Error(`no room at ${target.raw}`)
    }
  })
  cleanup(() => h.close())
  await h.ready()

  const a = h.open('chat')
  const b = h.open('chat')
  const c = h.open('chat')
  await until(() => h.status().connections >= 3, 'three clients')
  await a.write('hello from a\n')
  assert.equal((await b.read(13)).toString(), 'hello from a\n')
  assert.equal((await c.read(13)).toString(), 'hello from a\n')
  await b.write('and b\n')
  assert.equal((await a.read(6)).toString(), 'and b\n', 'a hears b, and did not get its own line first')
})

test("chat's hn_connect goes to the dial component, and the dialed link carries lines both ways", async (t) => {
  const cleanup = teardown(t)
  const app = await builtApp('plugins', 'chat', chatGrants)
  const calls: Array<{ target: DialTarget; from: AppRef }> = []
  let remote: HarnessConnection | null = null
  const h = createHarness({
    ...app,
    // play another host's chat room at the far end of the dialed stream
    dial: async (target, from) => {
      calls.push({ target, from })
      const [near, far] = createDuplexPair()
      remote = new HarnessConnection(far)
      return near
    }
  })
  cleanup(() => h.close())
  await h.ready()

  await until(() => remote, 'the room to dial at start')
  const { target, from } = calls[0]
  assert.equal(target.raw, 'self/chat')
  assert.equal(target.self, 'chat')
  assert.equal(formatId(target.serviceHash), formatId(serviceHash(app.manifest.code.hash, 'chat')))
  assert.equal(from.name, 'chat')
  assert.equal(from.codeHash, app.manifest.code.hash)

  const link = remote!
  const hello = (await link.read(39)).toString()
  assert.match(hello, /^\x01link [0-9a-f]{32}\n$/)
  await link.write(`\x01link ${'f'.repeat(32)}\n`)

  const local = h.open('chat')
  await until(() => h.status().connections >= 2, 'the local client')
  await local.write('to the world\n')
  assert.equal((await link.read(13)).toString(), 'to the world\n')
  await link.write('from afar\n')
  assert.equal((await local.read(10)).toString(), 'from afar\n')
})
