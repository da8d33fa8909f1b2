import assert from 'node:assert/strict'
import { test } from 'node:test'
import { createPluginRuntime } from '../../host/plugins/index.ts'
import { manifestFor } from '../helpers/plugin-apps.ts'
import { teardown } from '../helpers/teardown.ts'
import { ABI_EXPORTS, buildModule } from '../helpers/wasm-builder.ts'

/**
 * A module that imports only ABI v1 host functions is instantiated directly; one that imports
 * Extism's kernel (an Extism PDK plugin) goes through Extism. Both get as far as the ABI
 * version check: these modules answer 0 from every export, so ABI_UNSUPPORTED, not a link
 * error, proves each was instantiated with its imports met.
 */

const cases: Array<[string, Array<{ module: string; name: string }>]> = [
  ['only host functions (direct)', [{ module: 'extism:host/user', name: 'hn_log' }]],
  ["Extism's kernel too (through Extism)", [{ module: 'extism:host/user', name: 'hn_log' }, { module: 'extism:host/env', name: 'get_log_level' }]]
]

for (const [what, imports] of cases) {
  test(`a module importing ${what} is instantiated with its imports met`, async (t) => {
    const cleanup = teardown(t)
    const runtime = createPluginRuntime()
    cleanup(() => runtime.close())
    const wasm = buildModule({ imports, exports: [...ABI_EXPORTS, '_initialize'] })
    await assert.rejects(runtime.add({ manifest: manifestFor('paths', wasm), wasm }), (err: any) => {
      assert.equal(err.code, 'ABI_UNSUPPORTED', err.message)
      return true
    })
  })
}
