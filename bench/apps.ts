import { copyFile, mkdir, readFile, stat, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { verifyApp } from '../host/audit/audit-app.ts'
import { exampleFiles } from '../host/demo/install-examples.ts'
import { homePaths } from '../host/home.ts'
import { keyPath, loadOrCreateKeyFile } from '../host/keys/key-file.ts'
import { signApp } from '../host/manifest/sign-app.ts'
import type { Manifest } from '../host/manifest/types.ts'
import { createAppStore } from '../host/store/app-store.ts'
import type { InstallOutcome } from '../host/store/app-store.ts'
import { TrustStore } from '../host/store/trust-store.ts'
import { buildPlugin, closeCompiler } from '../scripts/build-plugins.js'
import { padWithCode } from './big-module.ts'
import { uleb } from '../host/util/leb128.ts'

/**
 * The apps the bench runs: the example echo, the bench's own sink (bench/plugins/sink, built
 * here on first use) and a generated plugin of a given size (echo grown with code), each
 * signed by a `bench` publisher key in the host's home, trusted, verified and installed the
 * way `hypernet-host install` does it.
 */

const ROOT = fileURLToPath(new URL('../', import.meta.url))
const OUT = join(ROOT, 'build', 'bench')
const SINK_SRC = join(ROOT, 'bench', 'plugins', 'sink')

export interface AppFiles {
  wasm: string
  /** A draft manifest file or object. */
  draft: string | Record<string, any>
}

/** The sink plugin, built when missing or older than its source. */
export async function sinkApp(): Promise<AppFiles> {
  const entry = join(SINK_SRC, 'index.ts')
  const wasm = join(OUT, 'sink.wasm')
  const built = await stat(wasm).then(
    (s) => s.mtimeMs,
    () => 0
  )
  if (built <= (await stat(entry)).mtimeMs) {
    try {
      await buildPlugin({ entry, outFile: wasm })
    } finally {
      await closeCompiler()
    }
  }
  return { wasm, draft: join(SINK_SRC, 'sink.draft.json') }
}

export function echoApp(): AppFiles {
  return exampleFiles('echo')
}

/**
 * A plugin of at least `bytes`: the echo module grown with generated code, named `name`,
 * serving `echo`. Written to `dir`.
 */
export async function bigApp(dir: string, bytes: number, name = 'big'): Promise<AppFiles & { bytes: number }> {
  const echo = await readFile(exampleFiles('echo').wasm)
  const wasm = padWithCode(echo, bytes)
  const file = join(dir, `${name}.wasm`)
  await mkdir(dir, { recursive: true })
  await writeFile(file, wasm)
  const draft = JSON.parse(await readFile(exampleFiles('echo').draft, 'utf8'))
  draft.app = { ...draft.app, name, description: `echo grown to ${wasm.byteLength} bytes of code (bench)` }
  return { wasm: file, draft, bytes: wasm.byteLength }
}

/** Copy, sign as app `name` with the home's `bench` key (trusted): ready for verifyApp. */
export async function signForHome(home: string, app: AppFiles, name: string): Promise<{ wasmFile: string; manifestFile: string; trusted: Set<string> }> {
  const paths = homePaths(home)
  const keyPair = await loadOrCreateKeyFile(keyPath(paths.keys, 'bench'))
  const trust = new TrustStore(paths.trust)
  await trust.add(keyPair.publicKey.toString('hex'), 'bench apps')
  const dir = join(home, 'bench-apps')
  await mkdir(dir, { recursive: true })
  const wasmFile = join(dir, `${name}.wasm`)
  await copyFile(app.wasm, wasmFile)
  const draft = typeof app.draft === 'string' ? JSON.parse(await readFile(app.draft, 'utf8')) : structuredClone(app.draft)
  draft.app = { ...draft.app, name }
  const { file } = await signApp({ wasmFile, draft, keyPair })
  return { wasmFile, manifestFile: file, trusted: await trust.keys() }
}

/** Sign, verify and install apps into a home (before or while its host runs). */
export async function installApps(home: string, apps: Record<string, AppFiles>): Promise<InstallOutcome[]> {
  const store = createAppStore({ dir: homePaths(home).store })
  await store.ready()
  const out: InstallOutcome[] = []
  for (const [name, app] of Object.entries(apps)) {
    const signed = await signForHome(home, app, name)
    const v = await verifyApp(signed)
    out.push(await store.install(v.manifest as Manifest, v.wasm))
  }
  return out
}

/**
 * `n` distinct apps from one echo module: each gets a custom section naming it (so its code
 * hash, its store folder and its service hashes are its own), a manifest `<prefix>-<i>` signed
 * by the home's `bench` key, verified and installed as `install` does it.
 */
export async function installEchoCopies(home: string, n: number, prefix = 'echo'): Promise<string[]> {
  const paths = homePaths(home)
  const keyPair = await loadOrCreateKeyFile(keyPath(paths.keys, 'bench'))
  await new TrustStore(paths.trust).add(keyPair.publicKey.toString('hex'), 'bench apps')
  const echo = await readFile(exampleFiles('echo').wasm)
  const draft = JSON.parse(await readFile(exampleFiles('echo').draft, 'utf8'))
  const dir = join(home, 'bench-apps')
  await mkdir(dir, { recursive: true })
  const store = createAppStore({ dir: paths.store })
  await store.ready()
  const names: string[] = []
  for (let i = 0; i < n; i++) {
    const name = `${prefix}-${i}`
    const wasmFile = join(dir, `${name}.wasm`)
    await writeFile(wasmFile, withCustomSection(echo, 'hypernet-bench', Buffer.from(name)))
    const { file } = await signApp({ wasmFile, draft: { ...draft, app: { ...draft.app, name } }, keyPair })
    const v = await verifyApp({ wasmFile, manifestFile: file })
    await store.install(v.manifest as Manifest, v.wasm)
    names.push(name)
  }
  return names
}

/** A module with a custom section appended: same code, another code hash. */
export function withCustomSection(wasm: Uint8Array, name: string, payload: Uint8Array): Buffer {
  const n = Buffer.from(name)
  const body = Buffer.concat([Buffer.from(uleb(n.byteLength)), n, payload])
  return Buffer.concat([wasm, Buffer.from([0, ...uleb(body.byteLength)]), body])
}
