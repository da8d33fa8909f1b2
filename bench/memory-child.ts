import { readFile } from 'node:fs/promises'
import { fileURLToPath } from 'node:url'
import { createPluginRuntime } from '../host/plugins/plugin-runtime.ts'
import type { ManifestBody } from '../host/manifest/types.ts'

/**
 * Child process of the memory row: resident memory before and after loading N idle echo
 * plugins through the real runtime (one worker thread each): once just after they started, and
 * again once they have been idle for `settleMs` (the baseline idles as long) (V8's memory reducer collects a worker's
 * start-up garbage after ~6-10 s idle; an idle plugin lives in that state). Prints one JSON line.
 *
 *   node --expose-gc --import tsx bench/memory-child.ts <n> [settleMs]
 */

const n = Number(process.argv[2] ?? 1)
const settleMs = Number(process.argv[3] ?? 10_000)
const wasm = await readFile(fileURLToPath(new URL('../build/plugins/echo.wasm', import.meta.url)))
const manifest = (name: string): ManifestBody => ({
  schema: 'hypernet/manifest@1',
  app: { name, version: '1.0.0' },
  code: { hash: '', abi: 1 },
  publisher: '',
  services: [{ name: 'echo', port: 7, protocol: 'stream' }],
  permissions: {},
  limits: { memoryMiB: 16, callTimeoutMs: 1000 }
})

const settle = async () => {
  for (let i = 0; i < 3; i++) {
    globalThis.gc?.()
    await new Promise((r) => setTimeout(r, 100))
  }
  return process.memoryUsage().rss
}

const runtime = createPluginRuntime()
await runtime.ready()
// the baseline idles as long as the plugins will, so V8 and malloc release the same way in both
await new Promise((r) => setTimeout(r, settleMs))
const before = await settle()
const t0 = performance.now()
for (let i = 0; i < n; i++) await runtime.add({ manifest: manifest(`echo-${i}`), wasm })
const startMs = performance.now() - t0
await new Promise((r) => setTimeout(r, 500))
const started = await settle()
await new Promise((r) => setTimeout(r, Math.max(0, settleMs - 800)))
const after = await settle()
process.stdout.write(JSON.stringify({ n, before, started, after, startMs, settleMs }) + '\n')
await runtime.close()
