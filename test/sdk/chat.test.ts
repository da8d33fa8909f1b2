import test, { before, after } from 'node:test'
import assert from 'node:assert/strict'
import { buildAll, closeCompiler, listTargets } from '../../scripts/build-plugins.js'
import { END, FakeHost, REFUSED, peerKey } from './fake-host.ts'

let wasm = ''

before(async () => {
  await buildAll()
  wasm = (await listTargets()).find((t) => t.kind === 'plugin' && t.name === 'chat')!.outFile
})

after(closeCompiler)

const HELLO = /^\x01link ([0-9a-f]{32})\n$/

function hello(id: string): string {
  return `\x01link ${id}\n`
}

/** A started room; its first dial is left pending unless `refuse` says otherwise. */
async function room(): Promise<FakeHost> {
  const h = await FakeHost.load(wasm)
  assert.equal(h.start(), 0)
  return h
}

/** One link: a connection on each of two hosts. */
interface Pipe {
  a: FakeHost
  ac: number
  b: FakeHost
  bc: number
  closed?: boolean
}

/** Move bytes across links, and a close by either end to both ends, until nothing moves. */
function pump(pipes: Pipe[]): void {
  for (let moved = true; moved; ) {
    moved = false
    for (const p of pipes) {
      if (p.closed) continue
      for (const [from, fc, to, tc] of [[p.a, p.ac, p.b, p.bc], [p.b, p.bc, p.a, p.ac]] as const) {
        const bytes = from.take(fc)
        if (bytes.length > 0) {
          to.data(tc, bytes)
          moved = true
        }
      }
      if (p.a.closedByPlugin.has(p.ac) || p.b.closedByPlugin.has(p.bc)) {
        p.closed = true
        p.a.close(p.ac, END)
        p.b.close(p.bc, END)
        moved = true
      }
    }
  }
}

test('a line from one client goes to every other client and not back to its sender', async () => {
  const h = await room()
  h.open(1, peerKey(1), 'chat')
  h.open(2, peerKey(2), 'chat')
  h.open(3, peerKey(3), 'chat')
  h.data(1, 'hello\n')
  assert.equal(h.take(1).toString(), '')
  assert.equal(h.take(2).toString(), 'hello\n')
  assert.equal(h.take(3).toString(), 'hello\n')
})

test('lines split across chunks arrive whole, and lines batched in one chunk arrive separately', async () => {
  const h = await room()
  h.open(1, peerKey(1), 'chat')
  h.open(2, peerKey(2), 'chat')
  h.data(1, 'hel')
  h.data(1, 'lo\nsecond\nthi')
  assert.equal(h.take(2).toString(), 'hello\nsecond\n')
  h.data(1, 'rd\n')
  assert.equal(h.take(2).toString(), 'third\n')
})

test('a line over 4 KiB closes its connection', async () => {
  const h = await room()
  h.open(1, peerKey(1), 'chat')
  h.open(2, peerKey(2), 'chat')
  h.data(1, 'a'.repeat(3000))
  h.data(1, 'a'.repeat(3000))
  assert.equal(h.closedByPlugin.has(1), true)
  assert.equal(h.take(2).length, 0)
})

test('at start the room dials self/chat and retries on a timer, backing off, while refused', async () => {
  const h = await room()
  assert.equal(h.dials.length, 1)
  assert.equal(h.dials[0].target, 'self/chat')
  const delays = []
  for (let i = 0; i < 8; i++) {
    h.close(h.dials.at(-1)!.conn, REFUSED)
    assert.equal(h.timers.size, 1, 'one retry timer at a time')
    const [[id, t]] = [...h.timers]
    delays.push(t.ms)
    h.fire(id)
    assert.equal(h.dials.length, i + 2)
  }
  assert.deepEqual(delays, [1000, 2000, 4000, 8000, 16000, 32000, 60000, 60000])
})

test('an outbound link says hello, carries local lines out and brings remote lines to local clients only', async () => {
  const h = await room()
  const link = h.dials[0].conn
  h.open(1, peerKey(1), 'chat')
  h.open(2, peerKey(2), 'chat')
  h.open(link, peerKey(9), 'chat', 1)
  assert.match(h.take(link).toString(), HELLO)
  h.data(link, hello('ab'.repeat(16)))
  h.data(1, 'from a local client\n')
  assert.equal(h.take(link).toString(), 'from a local client\n')
  assert.equal(h.take(2).toString(), 'from a local client\n')
  h.data(link, 'from the remote room\n')
  assert.equal(h.take(1).toString(), 'from the remote room\n')
  assert.equal(h.take(2).toString(), 'from the remote room\n')
  assert.equal(h.take(link).length, 0, 'never sent back over a link')
})

test('an inbound connection whose first line is a hello becomes a link and is answered', async () => {
  const h = await room()
  h.open(1, peerKey(1), 'chat')
  h.open(7, peerKey(7), 'chat')
  h.data(7, hello('cd'.repeat(16)))
  assert.match(h.take(7).toString(), HELLO)
  assert.equal(h.take(1).length, 0, 'the hello is not a chat line')
  h.data(7, 'remote line\n')
  assert.equal(h.take(1).toString(), 'remote line\n')
  // A second inbound link must not get lines from the first: one hop only.
  h.open(8, peerKey(8), 'chat')
  h.data(8, hello('ef'.repeat(16)))
  h.take(8)
  h.data(7, 'again\n')
  assert.equal(h.take(8).length, 0)
})

test('a hello that is not the first line of a client is dropped, not forwarded', async () => {
  const h = await room()
  h.open(1, peerKey(1), 'chat')
  h.open(2, peerKey(2), 'chat')
  h.data(1, 'hi\n' + hello('cd'.repeat(16)))
  assert.equal(h.take(2).toString(), 'hi\n')
  assert.equal(h.take(1).length, 0)
})

test('a link that reached its own room is closed and not redialled at once', async () => {
  const h = await room()
  const out = h.dials[0].conn
  h.open(out, peerKey(9), 'chat', 1)
  const own = HELLO.exec(h.take(out).toString())![1]
  // The host connected the dial back to this same room.
  h.open(50, peerKey(9), 'chat')
  h.data(50, hello(own))
  assert.equal(h.closedByPlugin.has(50), true)
  h.data(out, hello(own))
  assert.equal(h.closedByPlugin.has(out), true)
  h.close(out, END)
  assert.equal(h.dials.length, 1, 'the redial waits for a timer')
  assert.equal(h.timers.size, 1)
})

test('rooms on two hosts hear each other exactly once, and a lost link is redialled', async () => {
  const a = await room()
  const b = await room()
  // A's dial reaches B; B's dial finds nobody.
  const pipe: Pipe = { a, ac: a.dials[0].conn, b, bc: 600 }
  b.close(b.dials[0].conn, REFUSED)
  a.open(a.dials[0].conn, peerKey(0xb), 'chat', 1)
  b.open(600, peerKey(0xa), 'chat')
  a.open(1, peerKey(1), 'chat')
  b.open(2, peerKey(2), 'chat')
  pump([pipe])
  a.data(1, 'from a\n')
  b.data(2, 'from b\n')
  pump([pipe])
  assert.equal(b.take(2).toString(), 'from a\n')
  assert.equal(a.take(1).toString(), 'from b\n')
  // The link drops: A dials again after its backoff.
  a.close(pipe.ac, END)
  assert.equal(a.timers.size, 1)
  a.fire([...a.timers.keys()][0])
  assert.equal(a.dials.length, 2)
})

test('two rooms that dialled each other keep one link, the same on both sides', async () => {
  const a = await room()
  const b = await room()
  const ab: Pipe = { a, ac: a.dials[0].conn, b, bc: 700 }
  const ba: Pipe = { a: b, ac: b.dials[0].conn, b: a, bc: 701 }
  for (const p of [ab, ba]) {
    p.a.open(p.ac, peerKey(1), 'chat', 1)
    p.b.open(p.bc, peerKey(2), 'chat')
  }
  a.open(1, peerKey(1), 'chat')
  b.open(2, peerKey(2), 'chat')
  pump([ab, ba])
  assert.equal(ab.closed !== ba.closed, true, 'exactly one of the two links closed')
  a.data(1, 'once\n')
  pump([ab, ba])
  assert.equal(b.take(2).toString(), 'once\n')
  assert.equal(a.timers.size + b.timers.size, 0, 'neither room redials while linked')
})
