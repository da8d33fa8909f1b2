import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { generateKeyPair } from '../../host/manifest/signing.ts'
import type { KeyPair } from '../../host/manifest/signing.ts'
import { signApp } from '../../host/manifest/sign-app.ts'
import type { Manifest } from '../../host/manifest/types.ts'
import { buildModule } from './wasm-builder.ts'
import type { ModuleSpec } from './wasm-builder.ts'

/** A draft manifest for a one-service app, overridable field by field. */
export function draftFor(name = 'echo', extra: Record<string, unknown> = {}): Record<string, any> {
  return {
    schema: 'hypernet/manifest@1',
    app: { name, version: '1.0.0', description: `${name} test app` },
    code: { hash: '', abi: 1 },
    publisher: '',
    services: [{ name, port: 7, protocol: 'stream', description: 'test service' }],
    permissions: {},
    limits: { memoryMiB: 1, callTimeoutMs: 100 },
    ...extra
  }
}

export interface SignedApp {
  dir: string
  wasmFile: string
  manifestFile: string
  manifest: Manifest
  keyPair: KeyPair
}

/** A temp folder holding `<name>.wasm` and its signed `<name>.manifest.json`. */
export async function makeSignedApp(
  opts: { name?: string; module?: ModuleSpec; draft?: Record<string, any>; keyPair?: KeyPair; dir?: string } = {}
): Promise<SignedApp> {
  const name = opts.name ?? 'echo'
  const dir = opts.dir ?? (await mkdtemp(join(tmpdir(), 'hn-app-')))
  const wasmFile = join(dir, `${name}.wasm`)
  await writeFile(wasmFile, buildModule(opts.module))
  const keyPair = opts.keyPair ?? generateKeyPair()
  const { manifest, file } = await signApp({ wasmFile, draft: opts.draft ?? draftFor(name), keyPair })
  return { dir, wasmFile, manifestFile: file, manifest, keyPair }
}

/** A fresh temp folder, removed by the returned cleanup. */
export async function tempDir(prefix = 'hn-test-'): Promise<{ dir: string; cleanup: () => Promise<void> }> {
  const dir = await mkdtemp(join(tmpdir(), prefix))
  return { dir, cleanup: () => rm(dir, { recursive: true, force: true }) }
}
