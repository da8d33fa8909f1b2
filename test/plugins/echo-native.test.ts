import { after, before, test } from 'node:test'
import { readFile } from 'node:fs/promises'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { verifyApp } from '../../host/audit/index.ts'
import { keyPath, loadOrCreateKeyFile } from '../../host/keys/index.ts'
import { signApp } from '../../host/manifest/index.ts'
import type { RunnableApp } from '../../host/plugins/index.ts'
import { NATIVE_PLUGINS, buildNative } from '../../scripts/build-native.js'
import { tempDir } from '../helpers/app-fixture.ts'
import { echoTests } from '../helpers/echo-suite.ts'

/**
 * The C and Rust echo examples (plugins/echo-c, plugins/echo-rust), built here from source with
 * the system's clang and rustc, signed with their drafts from manifests/ as the examples are,
 * passed through the full audit, then put through the AssemblyScript echo's tests. A missing
 * toolchain skips that language's tests with one line saying what to install.
 */

const MANIFESTS = fileURLToPath(new URL('../../manifests/', import.meta.url))
const tmp = await tempDir('hn-native-')
after(() => tmp.cleanup())

const apps = new Map<string, RunnableApp>()
const skips = new Map<string, string>()
for (const plugin of NATIVE_PLUGINS) {
  const r = await buildNative(plugin, join(tmp.dir, `${plugin.name}.wasm`))
  if ('missing' in r) skips.set(plugin.name, r.missing)
  else console.log(`# built ${plugin.entry}: ${r.bytes} bytes in ${r.ms} ms with ${r.compiler}`)
}

before(async () => {
  const keyPair = await loadOrCreateKeyFile(keyPath(join(tmp.dir, 'keys'), 'examples'))
  for (const plugin of NATIVE_PLUGINS) {
    if (skips.has(plugin.name)) continue
    const wasmFile = join(tmp.dir, `${plugin.name}.wasm`)
    const { file } = await signApp({ wasmFile, draft: join(MANIFESTS, `${plugin.name}.draft.json`), keyPair })
    const v = await verifyApp({ wasmFile, manifestFile: file })
    apps.set(plugin.name, { manifest: v.manifest, wasm: new Uint8Array(await readFile(wasmFile)) })
  }
})

for (const plugin of NATIVE_PLUGINS) {
  const missing = skips.get(plugin.name)
  if (missing) test(`${plugin.name}: the echo tests`, { skip: missing }, () => {})
  else echoTests(plugin.name, async () => apps.get(plugin.name)!)
}
