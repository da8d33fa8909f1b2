import { copyFile } from 'node:fs/promises'
import { join } from 'node:path'
import { verifyApp } from '../audit/index.ts'
import { HypernetError } from '../errors.ts'
import { homePaths } from '../home.ts'
import { keyPath, loadOrCreateKeyFile } from '../keys/index.ts'
import { signApp } from '../manifest/index.ts'
import { createAppStore } from '../store/index.ts'
import type { InstallOutcome } from '../store/index.ts'
import { TrustStore } from '../store/index.ts'
import { packageFile } from '../util/package-root.ts'
import { makeDirs } from '../util/make-dirs.ts'

/**
 * Install the example apps into a home, as a publisher would and a user would: an `examples`
 * publisher key in the home, each built plugin signed with its draft from manifests/, the key
 * trusted, each app verified and installed. Used by the quick start and the end-to-end tests.
 */

export const EXAMPLES = ['echo', 'profile', 'chat'] as const

/** Where a built example plugin and its draft manifest live. */
export function exampleFiles(name: string): { wasm: string; draft: string } {
  return { wasm: packageFile('build', 'plugins', `${name}.wasm`), draft: packageFile('manifests', `${name}.draft.json`) }
}

/**
 * Sign and install `names` into `home`.
 * @throws FILE_NOT_FOUND when the plugins are not built (run npm run build), and any audit code
 */
export async function installExamples(home: string, names: readonly string[] = EXAMPLES): Promise<InstallOutcome[]> {
  const paths = homePaths(home)
  const keyPair = await loadOrCreateKeyFile(keyPath(paths.keys, 'examples'))
  await new TrustStore(paths.trust).add(keyPair.publicKey.toString('hex'), 'example apps')
  const store = createAppStore({ dir: paths.store })
  await store.ready()
  const dir = join(home, 'examples')
  await makeDirs(dir)
  const out: InstallOutcome[] = []
  for (const name of names) {
    const src = exampleFiles(name)
    const wasmFile = join(dir, `${name}.wasm`)
    try {
      await copyFile(src.wasm, wasmFile)
    } catch {
      throw HypernetError.FILE_NOT_FOUND(src.wasm, 'built example plugin (run: npm run build)')
    }
    const { file } = await signApp({ wasmFile, draft: src.draft, keyPair })
    const v = await verifyApp({ wasmFile, manifestFile: file })
    out.push(await store.install(v.manifest, v.wasm))
  }
  return out
}
