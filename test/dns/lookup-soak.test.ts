import test from 'node:test'
import assert from 'node:assert/strict'
import { execFile } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import { promisify } from 'node:util'

const run = promisify(execFile)
const script = fileURLToPath(new URL('../helpers/lookup-soak.ts', import.meta.url))

test('verified lookups that stop at the first of nine hosts keep no memory: the heap after GC plateaus', { timeout: 90_000 }, async () => {
  // before the fix every such lookup left its other descriptor walks running: ~95 KB heap and
  // ~73 KB external retained per call, and dht-rpc's backlog grew to tens of thousands of requests
  const calls = 1500
  const { stdout } = await run(process.execPath, ['--expose-gc', '--import', 'tsx', script, '9', String(calls)], { timeout: 80_000 })
  const r = JSON.parse(stdout.trim().split('\n').pop()!) as { samples: Array<{ heap: number; external: number }>; pending: number; inflight: number }
  const first = r.samples[0]
  const half = r.samples[2]
  const last = r.samples[r.samples.length - 1]
  const perCall = (a: number, b: number, n: number) => (b - a) / n
  // the second half of the run: under 2 KiB a lookup (GC noise and caches filling; the leak was ~70 KB)
  assert.ok(
    perCall(half.heap, last.heap, calls / 2) < 2048,
    `heap grew ${Math.round(perCall(half.heap, last.heap, calls / 2))} B per lookup in the second half`
  )
  assert.ok(
    perCall(first.external, last.external, calls) < 512,
    `external memory grew ${Math.round(perCall(first.external, last.external, calls))} B per lookup`
  )
  assert.ok(r.pending < 200, `dht-rpc backlog: ${r.pending} requests queued`)
  assert.ok(r.inflight < 200, `dht-rpc backlog: ${r.inflight} requests in flight`)
})
