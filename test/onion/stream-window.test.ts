import test from 'node:test'
import assert from 'node:assert/strict'
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
