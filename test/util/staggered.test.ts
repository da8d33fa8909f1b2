import test from 'node:test'
import assert from 'node:assert/strict'
import { staggered } from '../../host/util/staggered.ts'

const never = () => new Promise<never>(() => {})
const later = <T>(v: T, ms: number) => new Promise<T>((r) => setTimeout(() => r(v), ms))
const failLater = (msg: string, ms = 1) => new Promise<never>((_, reject) => setTimeout(() => reject(new Error(msg)), ms))

test('the first success wins; a choice that hangs only delays the next by the stagger', async () => {
  const started: string[] = []
  const r = await staggered(
    ['dead', 'good', 'unused'],
    (x) => {
      started.push(x)
      return x === 'dead' ? never() : later(`${x}!`, 5)
    },
    20
  )
  assert.deepEqual(r, { item: 'good', result: 'good!' })
  await later(null, 60)
  assert.deepEqual(started, ['dead', 'good'], 'nothing more is started once one succeeded')
})

test('a failure starts the next at once, and the last error comes back when all fail', async () => {
  const started: string[] = []
  await assert.rejects(
    staggered(
      ['a', 'b', 'c'],
      (x) => {
        started.push(x)
        return failLater(`no ${x}`)
      },
      10_000
    ),
    { message: 'no c' }
  )
  assert.deepEqual(started, ['a', 'b', 'c'])
})

test('a fatal error stops at once; an empty list is refused', async () => {
  const started: string[] = []
  await assert.rejects(
    staggered(
      ['a', 'b'],
      (x) => {
        started.push(x)
        return failLater('tampered')
      },
      10_000,
      (err) => (err as Error).message === 'tampered'
    ),
    { message: 'tampered' }
  )
  assert.deepEqual(started, ['a'])
  await assert.rejects(
    staggered([], () => later(1, 1), 10),
    { message: 'nothing to try' }
  )
})

test('a slow first success still counts if it beats the others', async () => {
  const r = await staggered(['slow', 'slower'], (x) => later(x, x === 'slow' ? 30 : 200), 10)
  assert.equal(r.item, 'slow')
})
