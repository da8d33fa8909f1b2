import test from 'node:test'
import assert from 'node:assert/strict'
import { ONION_MAX_DATA } from '../../host/messages.ts'
import { StreamEnd } from '../../host/onion/stream-end.ts'
import { StreamWindow } from '../../host/onion/stream-window.ts'

test('a window lets its size go, then waits for SENDMEs of what was sent', () => {
  const w = new StreamWindow(4, 2)
  for (let i = 0; i < 4; i++) {
    assert.ok(w.open)
    w.sent()
  }
  assert.equal(w.open, false)
  w.grant(2)
  assert.ok(w.open)
  assert.throws(() => w.grant(4), { code: 'BAD_MESSAGE', message: /at most 2/ }, 'a SENDME for cells never sent')
  assert.throws(() => w.grant(0), { code: 'BAD_MESSAGE' })
})

test('the receiving end owes a SENDME per batch taken, and refuses DATA past the window', () => {
  const w = new StreamWindow(4, 2)
  w.received()
  assert.equal(w.due(), 0)
  w.received()
  w.received()
  assert.equal(w.due(), 1, 'two of three acknowledged')
  w.received()
  w.received()
  w.received()
  assert.equal(w.due(), 2)
  for (let i = 0; i < 4; i++) w.received()
  assert.throws(() => w.received(), { code: 'BAD_MESSAGE', message: /past the window/ })
})

test('a burst of DATA after a full batch is handed to the reader whole', async () => {
  const circuit = {
    path: [],
    closed: false,
    write: (_d: Buffer, cb: (err?: Error | null) => void) => cb(),
    sendMessage: () => true,
    resumeReading: () => {},
    close: () => {},
    onceDrain: (fn: () => void) => fn(),
    pauseLink: () => {}
  }
  const end = new StreamEnd(circuit, Buffer.alloc(32), false)
  let bytes = 0
  end.stream.on('data', (d: Buffer) => (bytes += d.byteLength))
  const cell = Buffer.alloc(ONION_MAX_DATA, 1)
  // one batch of as many cells as fit 64 KiB sizes the next one just under it
  for (let i = 0; i < 67; i++) end.data(cell)
  await new Promise((resolve) => setImmediate(resolve))
  // then a burst past it in one turn (a paused link's backlog, resumed)
  for (let i = 0; i < 200; i++) end.data(cell)
  end.end()
  await new Promise((resolve) => end.stream.once('end', resolve))
  assert.equal(bytes, 267 * ONION_MAX_DATA)
  end.close(null)
})

test("DATA after END is a protocol error, never a push past the reader's end", async () => {
  const sent: number[] = []
  const circuit = {
    path: [],
    closed: false,
    write: (_d: Buffer, cb: (err?: Error | null) => void) => cb(),
    sendMessage: (cmd: number) => sent.push(cmd) > 0,
    resumeReading: () => {},
    close: () => {},
    onceDrain: (fn: () => void) => fn(),
    pauseLink: () => {}
  }
  const end = new StreamEnd(circuit, Buffer.alloc(32), true)
  const chunks: Buffer[] = []
  end.stream.on('data', (d: Buffer) => chunks.push(d))
  const ended = new Promise((resolve) => end.stream.once('end', resolve))
  end.data(Buffer.from('before'))
  end.end()
  assert.throws(() => end.data(Buffer.from('after')), { code: 'BAD_MESSAGE', message: /DATA after END/ })
  await ended
  assert.equal(Buffer.concat(chunks).toString(), 'before')
  end.close(null)
})
