import { readFile } from 'node:fs/promises'
import { fileURLToPath } from 'node:url'
import { createPluginRuntime } from '../host/plugins/plugin-runtime.ts'
import type { ManifestBody } from '../host/manifest/types.ts'

/**
 * Child process of the memory row: resident memory before and after loading N idle echo
 * plugins through the real runtime (one worker thread each). Prints one JSON line.
 *
 *   node --expose-gc --import tsx bench/memory-child.ts <n>
 */

const n = Number(process.argv[2] ?? 1)
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
const before = await settle()
const started = performance.now()
for (let i = 0; i < n; i++) await runtime.add({ manifest: manifest(`echo-${i}`), wasm })
const startMs = performance.now() - started
await new Promise((r) => setTimeout(r, 500))
const after = await settle()
process.stdout.write(JSON.stringify({ n, before, after, startMs }) + '\n')
await runtime.close()
