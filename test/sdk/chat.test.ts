import test, { before, after } from 'node:test'
import assert from 'node:assert/strict'
import { OPEN_KIND } from '../../host/abi.ts'
import { buildAll, closeCompiler, listTargets } from '../../scripts/build-plugins.js'
import { END, ERROR, FakeHost, peerKey } from './fake-host.ts'

let wasm = ''

before(async () => {
  await buildAll()
  wasm = (await listTargets()).find((t) => t.kind === 'plugin' && t.name === 'chat')!.outFile
})

after(closeCompiler)

const MESH = OPEN_KIND.MESH

/** A started room. */
async function room(): Promise<FakeHost> {
  const h = await FakeHost.load(wasm)
  assert.equal(h.start(), 0)
  return h
}

test('a line from one client goes to every other client and not back to its sender', { timeout: 30_000 }, async () => {
  const h = await room()
  h.open(1, peerKey(1), 'chat')
  h.open(2, peerKey(2), 'chat')
  h.open(3, peerKey(3), 'chat')
  h.data(1, 'hello\n')
  assert.equal(h.take(1).toString(), '')
  assert.equal(h.take(2).toString(), 'hello\n')
  assert.equal(h.take(3).toString(), 'hello\n')
})

test('lines split across chunks arrive whole, and lines batched in one chunk arrive separately', { timeout: 30_000 }, async () => {
  const h = await room()
  h.open(1, peerKey(1), 'chat')
  h.open(2, peerKey(2), 'chat')
  h.data(1, 'hel')
  h.data(1, 'lo\nsecond\nthi')
  assert.equal(h.take(2).toString(), 'hello\nsecond\n')
  h.data(1, 'rd\n')
  assert.equal(h.take(2).toString(), 'third\n')
})

test('a line over 4 KiB closes its connection', { timeout: 30_000 }, async () => {
  const h = await room()
  h.open(1, peerKey(1), 'chat')
  h.open(2, peerKey(2), 'chat')
  h.data(1, 'a'.repeat(3000))
  h.data(1, 'a'.repeat(3000))
  assert.equal(h.closedByPlugin.has(1), true)
  assert.equal(h.take(2).length, 0)
})

test('at start the room joins the mesh of self/chat, and dials nobody', { timeout: 30_000 }, async () => {
  const h = await room()
  assert.deepEqual([...h.meshes.keys()], ['self/chat'])
  assert.equal(h.dials.length, 0)
  assert.equal(h.timers.size, 0)
})

test("a client's line goes once to every mesh peer; a peer's line goes to local clients only, never to another peer", { timeout: 30_000 }, async () => {
  const h = await room()
  h.open(1, peerKey(1), 'chat')
  h.open(2, peerKey(2), 'chat')
  h.open(11, peerKey(0xa1), 'self/chat', MESH)
  h.open(13, peerKey(0xa2), 'self/chat', MESH)
  h.data(1, 'from a client\n')
  assert.equal(h.take(2).toString(), 'from a client\n')
  assert.equal(h.take(11).toString(), 'from a client\n')
  assert.equal(h.take(13).toString(), 'from a client\n')
  h.data(11, 'from afar\n')
  assert.equal(h.take(1).toString(), 'from afar\n')
  assert.equal(h.take(2).toString(), 'from afar\n')
  assert.equal(h.take(13).toString(), '', 'not passed on to the other peer')
  assert.equal(h.take(11).toString(), '', 'not echoed to its sender')
})

test('a peer that left no longer gets lines, and one that comes back does, once', { timeout: 30_000 }, async () => {
  const h = await room()
  h.open(1, peerKey(1), 'chat')
  h.open(11, peerKey(0xa1), 'self/chat', MESH)
  h.close(11, ERROR)
  h.data(1, 'while away\n')
  assert.equal(h.take(11).toString(), '')
  h.open(15, peerKey(0xa1), 'self/chat', MESH)
  h.data(1, 'back\n')
  assert.equal(h.take(15).toString(), 'back\n')
  h.close(15, END)
})

test('control lines (0x01) from a client or a peer are dropped, not forwarded', { timeout: 30_000 }, async () => {
  const h = await room()
  h.open(1, peerKey(1), 'chat')
  h.open(2, peerKey(2), 'chat')
  h.open(11, peerKey(0xa1), 'self/chat', MESH)
  h.data(1, '\x01link 00\n')
  h.data(11, '\x01anything\n')
  assert.equal(h.take(2).toString(), '')
  assert.equal(h.take(11).toString(), '')
})

/** N rooms in a full mesh, bytes moved by hand: each line reaches every client once, in N - 1 messages. */
test('in a full mesh of five rooms, a line from any room reaches every other room once', { timeout: 30_000 }, async () => {
  const rooms = await Promise.all([0, 1, 2, 3, 4].map(() => room()))
  // conn ids: 1 is each room's client; peer (i -> j) is 100 + j on room i
  rooms.forEach((r) => r.open(1, peerKey(1), 'chat'))
  rooms.forEach((r, i) => rooms.forEach((_, j) => i !== j && r.open(100 + j, peerKey(0xa0 + j), 'self/chat', MESH)))
  for (let from = 0; from < 5; from++) {
    rooms[from].data(1, `line ${from}\n`)
    let messages = 0
    for (let i = 0; i < 5; i++) {
      for (let j = 0; j < 5; j++) {
        if (i === j) continue
        const bytes = rooms[i].take(100 + j)
        if (bytes.length === 0) continue
        messages++
        rooms[j].data(100 + i, bytes)
      }
    }
    assert.equal(messages, 4, 'N - 1 messages per line')
    rooms.forEach((r, i) => assert.equal(r.take(1).toString(), i === from ? '' : `line ${from}\n`, `room ${i}`))
  }
})
