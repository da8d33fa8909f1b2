import assert from 'node:assert/strict'
import { test } from 'node:test'
import { createPluginRuntime } from '../../host/plugins/index.ts'
import type { PluginRuntime, RunnableApp } from '../../host/plugins/index.ts'
import { buildModule } from '../helpers/wasm-builder.ts'
import { builtApp, builtWasm, manifestFor } from '../helpers/plugin-apps.ts'
import { createDuplexPair, HarnessConnection } from '../../host/plugins/index.ts'
import { teardown } from '../helpers/teardown.ts'

/** A runtime already serving echo, so every refusal is shown not to disturb it. */
async function runtimeWithEcho(t: Parameters<typeof teardown>[0]): Promise<PluginRuntime> {
  const cleanup = teardown(t)
  const runtime = createPluginRuntime()
  cleanup(() => runtime.close())
  await runtime.add(await builtApp('plugins', 'echo'))
  return runtime
}

async function echoStillServes(runtime: PluginRuntime): Promise<void> {
  const [client, server] = createDuplexPair()
  runtime.handleConnection('echo', 'echo', server)
  const c = new HarnessConnection(client)
  await c.write('ok?')
  assert.equal((await c.read(3)).toString(), 'ok?')
  c.end()
}

/** Adding `app` fails with `code` and a one-line message matching `message`; it stays failed. */
async function refused(runtime: PluginRuntime, app: RunnableApp, code: string, message: RegExp): Promise<void> {
  await assert.rejects(runtime.add(app), (err: any) => {
    assert.equal(err.code, code)
    assert.match(err.message, message)
    assert.ok(!err.message.includes('\n'), 'one line')
    return true
  })
  const status = runtime.status(app.manifest.app.name)
  assert.equal(status.state, 'failed')
  assert.equal(status.lastError?.code, code)
  assert.equal(status.restarts, 0, 'a refusal is not retried')
  await echoStillServes(runtime)
}

test('a module exporting none of the ABI entry points is refused with EXPORT_MISSING', async (t) => {
  const runtime = await runtimeWithEcho(t)
  await refused(runtime, await builtApp('fixtures', 'noexports'), 'EXPORT_MISSING', /^EXPORT_MISSING: the wasm does not export what the host needs: hn_abi_version, hn_buffer, hn_on_start, hn_on_open, hn_on_data, hn_on_close$/)
})

test('a module built for another ABI is refused with ABI_UNSUPPORTED', async (t) => {
  const runtime = await runtimeWithEcho(t)
  await refused(runtime, await builtApp('fixtures', 'oldabi'), 'ABI_UNSUPPORTED', /^ABI_UNSUPPORTED: the plugin was built for ABI 0, this host supports ABI 1/)
})

test('a module whose memory declares no maximum is refused with MEMORY_LIMIT', async (t) => {
  const runtime = await runtimeWithEcho(t)
  await refused(runtime, await builtApp('fixtures', 'nomax'), 'MEMORY_LIMIT', /^MEMORY_LIMIT: nomax: the module's memory must declare a maximum of at most 256 MiB, it declares none/)
})

test('a module whose memory maximum is above the host cap is refused with MEMORY_LIMIT', async (t) => {
  const runtime = await runtimeWithEcho(t)
  const wasm = buildModule({ memory: { min: 1, max: 8192 } })
  await refused(runtime, { wasm, manifest: manifestFor('big', wasm) }, 'MEMORY_LIMIT', /maximum must be at most 256 MiB, it declares 512 MiB/)
})

test('corrupt wasm is refused with WASM_INVALID, truncated or garbled', async (t) => {
  const runtime = await runtimeWithEcho(t)
  const echo = await builtWasm('plugins', 'echo')
  const truncated = echo.slice(0, Math.floor(echo.byteLength / 2))
  await refused(runtime, { wasm: truncated, manifest: manifestFor('truncated', truncated) }, 'WASM_INVALID', /^WASM_INVALID: truncated: /)

  const garbled = echo.slice()
  garbled.fill(0xff, garbled.byteLength - 200, garbled.byteLength - 100) // inside the code or data
  await refused(runtime, { wasm: garbled, manifest: manifestFor('garbled', garbled) }, 'WASM_INVALID', /^WASM_INVALID: garbled: /)

  const text = new TextEncoder().encode('not wasm at all')
  await refused(runtime, { wasm: text, manifest: manifestFor('text', text) }, 'WASM_INVALID', /expected a WebAssembly module/)
})

test('a module importing what the host does not offer is refused with IMPORT_NOT_ALLOWED', async (t) => {
  const runtime = await runtimeWithEcho(t)
  const wasm = buildModule({ imports: [{ module: 'env', name: 'abort' }] })
  await refused(runtime, { wasm, manifest: manifestFor('env', wasm) }, 'IMPORT_NOT_ALLOWED', /env::abort/)
})
