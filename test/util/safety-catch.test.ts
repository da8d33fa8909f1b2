import assert from 'node:assert/strict'
import test from 'node:test'
import { HypernetError } from '../../host/errors.ts'
import { backgroundCatch, isProgrammerError, safetyCatch } from '../../host/util/safety-catch.ts'

const bugs = [new TypeError('x is undefined'), new ReferenceError('y is not defined'), new SyntaxError('bad'), new RangeError('too big')]
const expected = [new Error('timed out'), HypernetError.CONNECTION_FAILED('peer gone'), Object.assign(new Error('reset'), { code: 'ECONNRESET' }), 'a string']

test('programmer errors are told from expected network errors', () => {
  for (const e of bugs) assert.equal(isProgrammerError(e), true, String(e))
  for (const e of expected) assert.equal(isProgrammerError(e), false, String(e))
})

test('safetyCatch rethrows a TypeError and absorbs a network error', async () => {
  await assert.rejects(Promise.reject(new TypeError('oops')).catch(safetyCatch), TypeError)
  await Promise.reject(HypernetError.CONNECTION_FAILED('peer gone')).catch(safetyCatch)
})

test('backgroundCatch logs a programmer error with its stack, and nothing for an expected one', async () => {
  const lines: Array<{ msg: string; fields?: Record<string, unknown> }> = []
  const log = { error: (msg: string, fields?: Record<string, unknown>) => void lines.push({ msg, fields }) }
  for (const e of expected) await Promise.reject(e).catch(backgroundCatch(log, 'refresh'))
  assert.equal(lines.length, 0)
  await Promise.reject(new TypeError('cannot read x')).catch(backgroundCatch(log, 'refresh'))
  assert.equal(lines.length, 1)
  assert.match(lines[0].msg, /^refresh: a programmer error/)
  assert.match(String(lines[0].fields?.error), /TypeError: cannot read x\n\s+at /)
})
