import assert from 'node:assert/strict'
import test from 'node:test'
import { Lifecycle } from '../../host/util/lifecycle.ts'

const tick = () => new Promise((r) => setImmediate(r))

test('ready opens once, whatever the number of calls', async () => {
  const life = new Lifecycle()
  let opens = 0
  const open = async () => {
    opens++
  }
  await Promise.all([life.ready(open), life.ready(open)])
  await life.ready(open)
  assert.equal(opens, 1)
})

test('a second close does not resolve while the first is still closing', async () => {
  const life = new Lifecycle()
  let release!: () => void
  let done = false
  const first = life.close(() => new Promise<void>((r) => (release = r)).then(() => (done = true)))
  let secondSettled = false
  const second = life.close(() => assert.fail('closed twice')).then(() => (secondSettled = true))
  await tick()
  assert.equal(secondSettled, false)
  release()
  await Promise.all([first, second])
  assert.equal(done, true)
})

test('close waits for an open in flight, also one that fails', async () => {
  for (const fails of [false, true]) {
    const life = new Lifecycle()
    const order: string[] = []
    let release!: () => void
    const opening = life.ready(async () => {
      await new Promise<void>((r) => (release = r))
      order.push('opened')
      if (fails) throw new Error('open failed')
    })
    opening.catch(() => {})
    const closing = life.close(() => order.push('closed'))
    assert.equal(life.closed, true)
    await tick()
    assert.deepEqual(order, [])
    release()
    await closing
    assert.deepEqual(order, ['opened', 'closed'])
    if (fails) await assert.rejects(opening, /open failed/)
  }
})

test('an object closed before ready never opens', async () => {
  const life = new Lifecycle()
  await life.close(() => {})
  await life.ready(() => assert.fail('opened after close'))
})
