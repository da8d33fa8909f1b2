import assert from 'node:assert/strict'
import { test } from 'node:test'
import { readMemoryLimits } from '../../host/manifest/wasm-module.ts'
import { capModuleMemory, resolvePluginLimits } from '../../host/plugins/index.ts'
import { buildModule } from '../helpers/wasm-builder.ts'
import { builtWasm, manifestFor } from '../helpers/plugin-apps.ts'

const MiB16 = 256 // pages

test('lowers a memory maximum above the cap, in a copy that still compiles', async () => {
  const wasm = await builtWasm('fixtures', 'alloc') // declares 256 MiB
  const before = Buffer.from(wasm)
  assert.deepEqual(readMemoryLimits(wasm)?.max, 4096)
  const capped = capModuleMemory(wasm, MiB16)
  assert.equal(capped.declaredMaxPages, 4096)
  assert.equal(capped.maxPages, MiB16)
  assert.equal(readMemoryLimits(capped.bytes)?.max, MiB16)
  assert.ok(WebAssembly.validate(capped.bytes as Uint8Array<ArrayBuffer>))
  assert.ok(Buffer.from(wasm).equals(before), 'the published bytes are untouched')
  // the LEB128 got shorter (4096 takes 2 bytes, 256 takes 2; 16 takes 1): sizes are re-encoded
  const tiny = capModuleMemory(wasm, 16)
  assert.equal(readMemoryLimits(tiny.bytes)?.max, 16)
  assert.equal(tiny.bytes.byteLength, wasm.byteLength - 1)
  assert.ok(WebAssembly.validate(tiny.bytes as Uint8Array<ArrayBuffer>))
})

test('keeps a maximum at or below the cap as it is', () => {
  const wasm = buildModule({ memory: { min: 1, max: 16 } })
  const capped = capModuleMemory(wasm, MiB16)
  assert.deepEqual([...capped.bytes], [...wasm])
  assert.notEqual(capped.bytes, wasm, 'still a copy')
  assert.equal(capped.maxPages, 16)
})

test('refuses memory without a maximum, above the host cap, or needing more than the manifest allows', () => {
  assert.throws(() => capModuleMemory(buildModule({ memory: { min: 1 } }), MiB16), { code: 'MEMORY_LIMIT', message: /declares none/ })
  assert.throws(() => capModuleMemory(buildModule({ memory: { min: 1, max: 4097 } }), MiB16), { code: 'MEMORY_LIMIT', message: /at most 256 MiB, it declares 256.0625 MiB/ })
  assert.throws(() => capModuleMemory(buildModule({ memory: { min: 32, max: 64 } }), 16), { code: 'MEMORY_LIMIT', message: /needs 2 MiB of memory at start, its manifest allows 1 MiB/ })
})

test('refuses imported memory and reports unreadable modules as WASM_INVALID', () => {
  const imported = Uint8Array.from([
    0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00,
    // import section: 1 import, "env" "memory", kind memory, limits min 1 max 2
    0x02, 0x10, 0x01, 0x03, 0x65, 0x6e, 0x76, 0x06, 0x6d, 0x65, 0x6d, 0x6f, 0x72, 0x79, 0x02, 0x01, 0x01, 0x02
  ])
  assert.ok(WebAssembly.validate(imported))
  assert.throws(() => capModuleMemory(imported, MiB16), { code: 'MEMORY_LIMIT', message: /imports its memory/ })
  assert.throws(() => capModuleMemory(new Uint8Array([1, 2, 3]), MiB16), { code: 'WASM_INVALID' })
  const wasm = buildModule()
  assert.throws(() => capModuleMemory(wasm.slice(0, wasm.byteLength - 3), MiB16), { code: 'WASM_INVALID', message: /truncated or corrupt/ })
})

test('effective limits are the manifest request capped by host policy', () => {
  const wasm = buildModule()
  const none = resolvePluginLimits(manifestFor('a', wasm))
  const quotas = { dialsInFlight: 8, dialsPerSecond: 10, connections: 64, bytesInPerSecond: 1024 * 1024 * 1024, bytesOutPerSecond: 1024 * 1024 * 1024, idleTimeoutMs: 5 * 60_000 }
  assert.deepEqual(none, { memoryMiB: 16, memoryPages: 256, callTimeoutMs: 200, storageQuotaBytes: null, timers: false, quotas })
  const greedy = resolvePluginLimits(manifestFor('a', wasm, { limits: { memoryMiB: 4096, callTimeoutMs: 60_000 }, permissions: { storage: { quotaBytes: 1e12 }, timers: true } }))
  assert.deepEqual(greedy, { memoryMiB: 256, memoryPages: 4096, callTimeoutMs: 5000, storageQuotaBytes: 64 * 1024 * 1024, timers: true, quotas })
})
