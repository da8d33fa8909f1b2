import { readFile } from 'node:fs/promises'
import { fileURLToPath } from 'node:url'
import { createHarness } from '../host/plugins/index.ts'
import type { HarnessConnection } from '../host/plugins/index.ts'
import type { ManifestBody } from '../host/manifest/types.ts'

/**
 * The plugin byte path, in-process, no network: bytes from a peer's stream through the host
 * thread, into the echo plugin's worker and linear memory, out through hn_send and back to the
 * peer. Reports throughput for 64 KiB messages (target >= 500 MB/s, NOTES.md measured ~670
 * MB/s for the raw copy-into-memory path) and the cost of a small event: 1-byte messages
 * pipelined (µs per event, the delivery machinery with no bytes to speak of) and ping-pong
 * (µs per round trip: two thread hops and two stream hops).
 *
 *   node --import tsx bench/byte-path.ts [--quick]
 */

export interface BytePathResult {
  /** Payload MB/s (10^6 bytes) through the plugin and back, 64 KiB messages. */
  mbPerSec: number
  messageBytes: number
  bytes: number
  /** µs per 1-byte event when many are in flight (cost of one event delivery). */
  eventMicros: number
  /** µs per 1-byte round trip, one at a time (latency). */
  roundTripMicros: number
}

const ECHO_WASM = fileURLToPath(new URL('../build/plugins/echo.wasm', import.meta.url))
const MESSAGE = 64 * 1024

const manifest: ManifestBody = {
  schema: 'hypernet/manifest@1',
  app: { name: 'echo', version: '1.0.0' },
  code: { hash: '', abi: 1 },
  publisher: '',
  services: [{ name: 'echo', port: 7, protocol: 'stream' }],
  permissions: {},
  limits: { memoryMiB: 16, callTimeoutMs: 1000 }
}

/** Run the byte-path benchmark; `quick` runs each part for a fraction of the time. */
export async function runBytePathBench(opts: { quick?: boolean } = {}): Promise<BytePathResult> {
  const seconds = opts.quick ? 0.5 : 2
  const h = createHarness({ wasm: await readFile(ECHO_WASM), manifest })
  try {
    await h.ready()
    await throughput(h.open('echo'), 0.2) // warm up the JIT on both threads
    const { bytes, ms } = await throughput(h.open('echo'), seconds)
    const events = await pipelined(h.open('echo'), opts.quick ? 5_000 : 20_000)
    const rtt = await pingPong(h.open('echo'), opts.quick ? 500 : 2_000)
    return { mbPerSec: bytes / 1e6 / (ms / 1000), messageBytes: MESSAGE, bytes, eventMicros: events, roundTripMicros: rtt }
  } finally {
    await h.close()
  }
}

/** Write 64 KiB messages for `seconds` while reading the echo; bytes echoed and time. */
async function throughput(c: HarnessConnection, seconds: number): Promise<{ bytes: number; ms: number }> {
  const msg = Buffer.alloc(MESSAGE, 0x61)
  const start = performance.now()
  let written = 0
  let read = 0
  const reader = (async () => {
    for await (const chunk of c.stream) read += (chunk as Buffer).byteLength
  })()
  while (performance.now() - start < seconds * 1000) {
    await c.write(msg)
    written += MESSAGE
  }
  while (read < written) await new Promise((r) => setImmediate(r))
  const ms = performance.now() - start
  c.destroy()
  await reader.catch(() => {})
  return { bytes: read, ms }
}

/** `n` 1-byte writes in a burst; µs per event until all came back. */
async function pipelined(c: HarnessConnection, n: number): Promise<number> {
  const one = Buffer.from('x')
  const start = performance.now()
  const done = c.read(n, 60_000)
  for (let i = 0; i < n; i++) await c.write(one)
  await done
  const us = ((performance.now() - start) * 1000) / n
  c.destroy()
  return us
}

/** `n` sequential 1-byte round trips; µs each. */
async function pingPong(c: HarnessConnection, n: number): Promise<number> {
  const one = Buffer.from('x')
  const replies = c.stream[Symbol.asyncIterator]()
  const start = performance.now()
  for (let i = 0; i < n; i++) {
    c.stream.write(one)
    await replies.next()
  }
  const us = ((performance.now() - start) * 1000) / n
  c.destroy()
  return us
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const r = await runBytePathBench({ quick: process.argv.includes('--quick') })
  console.log(`byte path: ${r.mbPerSec.toFixed(0)} MB/s with ${r.messageBytes / 1024} KiB messages (${(r.bytes / 1e6).toFixed(0)} MB echoed)`)
  console.log(`event: ${r.eventMicros.toFixed(1)} µs per 1-byte event pipelined, ${r.roundTripMicros.toFixed(1)} µs per round trip`)
}
