import assert from 'node:assert/strict'
import { test } from 'node:test'
import { teardown } from '../helpers/teardown.ts'

// Extism imports node:wasi, which warns on Node 20 as it loads: keep the test output clean.
const emitWarning = process.emitWarning
process.emitWarning = ((warning: string | Error, ...rest: any[]) => {
  const type = typeof rest[0] === 'string' ? rest[0] : rest[0]?.type
  if (type !== 'ExperimentalWarning') emitWarning.call(process, warning, ...rest)
}) as typeof process.emitWarning
const { createPlugin } = await import('@extism/extism')
process.emitWarning = emitWarning

/**
 * A canary on the pinned Extism (NOTES.md: 1.0.3 could not cancel a looping call and froze
 * the host). The runtime does not rely on Extism's timeout (its own deadline terminates the
 * worker), but if an upgrade loses this ability, the upgrade needs a second look.
 *
 * Extism's call() passes no arguments to an export, so the loop fixture cannot be driven to
 * its loop through it (hn_on_data needs an open connection); this module loops the same way
 * in an export that takes none: (func (export "spin") (loop (br 0))).
 */
const SPIN = Uint8Array.from([
  0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00,
  0x01, 0x04, 0x01, 0x60, 0x00, 0x00, // type: () -> ()
  0x03, 0x02, 0x01, 0x00, // one function of that type
  0x07, 0x08, 0x01, 0x04, 0x73, 0x70, 0x69, 0x6e, 0x00, 0x00, // export "spin"
  0x0a, 0x09, 0x01, 0x07, 0x00, 0x03, 0x40, 0x0c, 0x00, 0x0b, 0x0b // loop br 0 end end
])

test('the pinned Extism cancels a looping call with its own timeoutMs and the host stays responsive', async (t) => {
  const cleanup = teardown(t)
  const plugin = await createPlugin({ wasm: [{ data: new Uint8Array(SPIN) }] }, { runInWorker: true, timeoutMs: 300, useWasi: false })
  cleanup(() => plugin.close())

  let ticks = 0
  const ticker = setInterval(() => ticks++, 10)
  cleanup(() => clearInterval(ticker))
  const started = performance.now()
  await assert.rejects(plugin.call('spin'), (err: Error) => /time/i.test(err.message))
  const elapsed = performance.now() - started
  // generous bounds: this checks cancellation happens at all, not how fast
  assert.ok(elapsed < 10_000, `the call was cancelled after ${Math.round(elapsed)} ms`)
  assert.ok(ticks >= 3, `the host thread kept running timers during the loop (${ticks} ticks)`)
  t.diagnostic(`Extism cancelled the loop after ${Math.round(elapsed)} ms (timeoutMs 300); ${ticks} timer ticks meanwhile`)
})
