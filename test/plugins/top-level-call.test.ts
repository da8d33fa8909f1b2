import assert from 'node:assert/strict'
import { test } from 'node:test'
import { createPluginRuntime } from '../../host/plugins/index.ts'
import { manifestFor } from '../helpers/plugin-apps.ts'
import { teardown } from '../helpers/teardown.ts'
import { ABI_EXPORTS, buildModule } from '../helpers/wasm-builder.ts'

/**
 * A host function called by plugin code that runs while the module instantiates (a start
 * function, as AssemblyScript makes of top-level statements) is refused with a coded error that
 * names the function and says where to call it from, not a TypeError from inside the host.
 */

for (const fn of ['hn_log', 'hn_now_ms', 'hn_send']) {
  test(`${fn} from top-level code fails the plugin with PLUGIN_FAILED naming it`, async (t) => {
    const cleanup = teardown(t)
    const runtime = createPluginRuntime()
    cleanup(() => runtime.close())
    const wasm = buildModule({ imports: [{ module: 'extism:host/user', name: fn }], exports: ABI_EXPORTS, start: fn })
    const app = { manifest: manifestFor('toplevel', wasm), wasm }
    await assert.rejects(runtime.add(app), (err: any) => {
      assert.equal(err.code, 'PLUGIN_FAILED')
      assert.match(err.message, new RegExp(`^PLUGIN_FAILED: toplevel: called ${fn} from top-level code .*call it from hn_on_start or a later event$`))
      assert.ok(!err.message.includes('\n'), 'one line')
      assert.ok(!/Cannot read properties/.test(err.message))
      return true
    })
    const status = runtime.status('toplevel')
    assert.equal(status.state, 'failed')
    assert.equal(status.restarts, 0, 'it can never run: not retried')
  })
}
