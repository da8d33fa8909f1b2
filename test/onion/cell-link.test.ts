import test from 'node:test'
import assert from 'node:assert/strict'
import { Duplex } from 'node:stream'
import { ONION_REASON } from '../../host/constants.ts'
import { CELL, ONION_BODY_BYTES, ONION_CELL_BYTES, encode, onionReasonBody, writeOnionCell } from '../../host/messages.ts'
import { CellLink } from '../../host/onion/cell-link.ts'

/** CellLink's own bookkeeping, over an in-process stream whose far side the test plays. */

function stream(): Duplex {
  return new Duplex({
    read() {},
    write(_c, _e, cb) {
      cb()
    }
  })
}

function cells(...list: Array<[number, Uint8Array]>): Buffer {
  const buf = Buffer.alloc(list.length * ONION_CELL_BYTES)
  list.forEach(([type, body], i) => writeOnionCell(buf, i * ONION_CELL_BYTES, type, body))
  return buf
}

test('a paused link that the peer ends still hands out what it held, then the DESTROY reason', async () => {
  const s = stream()
  const link = new CellLink(s)
  const got: number[] = []
  link.on('cell', (c: { type: number; body: Buffer }) => got.push(c.body[0]))
  const closed = new Promise<unknown[]>((resolve) => link.once('close', (...a: unknown[]) => resolve(a)))
  link.pause()
  const body = (n: number) => Buffer.alloc(ONION_BODY_BYTES, n)
  const destroy = encode(onionReasonBody, { reason: ONION_REASON.LIMIT })
  s.push(cells([CELL.RELAY, body(1)], [CELL.RELAY, body(2)], [CELL.DESTROY, destroy]))
  s.push(null)
  await new Promise((resolve) => setTimeout(resolve, 50))
  assert.deepEqual(got, [], 'nothing while paused')
  assert.equal(link.closed, false, 'held cells keep the link until they are handed out')
  link.resume()
  const [err, reason] = await closed
  assert.deepEqual(got, [1, 2])
  assert.equal(err, null)
  assert.equal(reason, ONION_REASON.LIMIT)
  s.destroy()
})

test('a link paused for good closes a while after its stream ended, dropping what it held', async () => {
  const s = stream()
  const link = new CellLink(s)
  link.heldAfterEndMs = 50
  link.on('cell', () => assert.fail('no cell while paused'))
  const closed = new Promise<unknown[]>((resolve) => link.once('close', (...a: unknown[]) => resolve(a)))
  link.pause()
  s.push(cells([CELL.RELAY, Buffer.alloc(ONION_BODY_BYTES)]))
  s.push(null)
  // the link's timer does not hold the process open: this does, until the link closes
  const alive = setInterval(() => {}, 1000)
  assert.deepEqual(await closed, [null, null])
  clearInterval(alive)
  assert.equal(link.closed, true)
  s.destroy()
})

test('cells sent to a destroyed stream are dropped, never overrun the batch', () => {
  const s = stream()
  const link = new CellLink(s)
  link.on('close', () => {})
  s.destroy()
  for (let i = 0; i < 200; i++) link.send(CELL.RELAY, Buffer.alloc(ONION_BODY_BYTES))
})

test('a destroyed link holds nothing: neither the chunks it held nor the cells left in the one it was reading', () => {
  const s = stream()
  const link = new CellLink(s)
  link.on('close', () => {})
  // the first cell's handler pauses the link: the other two stay in the chunk being read
  link.once('cell', () => link.pause())
  s.push(cells([CELL.RELAY, Buffer.alloc(ONION_BODY_BYTES)], [CELL.RELAY, Buffer.alloc(ONION_BODY_BYTES)], [CELL.RELAY, Buffer.alloc(ONION_BODY_BYTES)]))
  return new Promise<void>((resolve) =>
    setImmediate(() => {
      assert.equal(link.heldLength, 2 * ONION_CELL_BYTES, 'two cells left in the chunk')
      link.destroy()
      assert.equal(link.heldLength, 0)
      s.destroy()
      resolve()
    })
  )
})
