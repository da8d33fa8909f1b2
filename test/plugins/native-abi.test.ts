import assert from 'node:assert/strict'
import { readFile, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { after, test } from 'node:test'
import { EXTISM_ENV_DENIED } from '../../host/abi.ts'
import { createPluginRuntime } from '../../host/plugins/index.ts'
import type { PluginRuntime, RunnableApp } from '../../host/plugins/index.ts'
import { buildNative, findClang } from '../../scripts/build-native.js'
import { tempDir } from '../helpers/app-fixture.ts'
import { manifestFor } from '../helpers/plugin-apps.ts'
import { teardown } from '../helpers/teardown.ts'
import { ABI_EXPORTS, buildModule } from '../helpers/wasm-builder.ts'

/**
 * What sdk/ABI.md tells C and Rust authors about the edges of the ABI, held to the host: no WASI,
 * no Extism HTTP (refused with a hint naming what to do instead), and a reactor's `_initialize`
 * runs once while the module instantiates, before hn_abi_version, where host functions fail.
 */

const tmp = await tempDir('hn-native-abi-')
after(() => tmp.cleanup())
const clang = await findClang()

function runtime(t: Parameters<typeof teardown>[0]): PluginRuntime {
  const r = createPluginRuntime()
  teardown(t)(() => r.close())
  return r
}

async function refusedWith(r: PluginRuntime, app: RunnableApp, code: string, message: RegExp): Promise<void> {
  await assert.rejects(r.add(app), (err: any) => {
    assert.equal(err.code, code)
    assert.match(err.message, message)
    assert.ok(!err.message.includes('\n'), 'one line')
    return true
  })
  assert.equal(r.status(app.manifest.app.name).restarts, 0, 'not retried')
}

test('a WASI module is refused with IMPORT_NOT_ALLOWED saying the host offers no WASI and what to build for', async (t) => {
  const wasm = buildModule({ imports: [{ module: 'wasi_snapshot_preview1', name: 'fd_write' }], exports: ABI_EXPORTS })
  await refusedWith(
    runtime(t),
    { wasm, manifest: manifestFor('wasi', wasm) },
    'IMPORT_NOT_ALLOWED',
    /^IMPORT_NOT_ALLOWED: the wasm imports functions this host does not offer: wasi_snapshot_preview1::fd_write \(this host offers no WASI: build for wasm32-unknown-unknown/
  )
})

for (const name of EXTISM_ENV_DENIED) {
  test(`Extism's ${name} is refused with IMPORT_NOT_ALLOWED pointing at hn_connect`, async (t) => {
    const wasm = buildModule({ imports: [{ module: 'extism:host/env', name }], exports: ABI_EXPORTS })
    await refusedWith(
      runtime(t),
      { wasm, manifest: manifestFor('http', wasm) },
      'IMPORT_NOT_ALLOWED',
      new RegExp(`^IMPORT_NOT_ALLOWED: the wasm imports functions this host does not offer: extism:host/env::${name} \\(Extism's HTTP functions .*hn_connect\\)$`)
    )
  })
}

/** A C module whose `_initialize` counts its calls (and with `log`, calls hn_log). */
async function reactor(name: string, log: boolean): Promise<RunnableApp> {
  const src = join(tmp.dir, `${name}.c`)
  await writeFile(
    src,
    `#include "hypernet.h"
static int32_t initialized = 0;
HN_EXPORT(_initialize) void _initialize(void) { initialized++; ${log ? 'hn_log(1, "init", 4);' : ''} }
HN_EXPORT(hn_abi_version) int32_t hn_abi_version(void) { return initialized == 1 ? HN_ABI_VERSION : 100 + initialized; }
HN_EXPORT(hn_buffer) void *hn_buffer(int32_t len) { static unsigned char b[64]; return len <= 64 ? b : 0; }
HN_EXPORT(hn_on_start) int32_t hn_on_start(void) { return initialized == 1 ? 0 : 1; }
`
  )
  const r = await buildNative({ name, lang: 'c', entry: src }, join(tmp.dir, `${name}.wasm`))
  if ('missing' in r) throw new Error(r.missing)
  const wasm = new Uint8Array(await readFile(r.outFile))
  return { wasm, manifest: manifestFor(name, wasm, { services: [] }) }
}

const noClang = 'missing' in clang ? clang.missing : undefined

test("a reactor's _initialize runs once, while the module instantiates, before hn_abi_version", { skip: noClang }, async (t) => {
  const r = runtime(t)
  const status = await r.add(await reactor('reactor', false))
  assert.equal(status.state, 'running')
})

test('a host function called from _initialize fails the plugin as top-level code does', { skip: noClang }, async (t) => {
  await refusedWith(runtime(t), await reactor('reactorlog', true), 'PLUGIN_FAILED', /^PLUGIN_FAILED: reactorlog: called hn_log from top-level code/)
})
