import { access, readFile } from 'node:fs/promises'
import { fileURLToPath } from 'node:url'
import { formatId } from '../../host/encoding/ids.ts'
import { codeHash } from '../../host/manifest/hashes.ts'
import type { ManifestBody } from '../../host/manifest/types.ts'
import type { RunnableApp } from '../../host/plugins/index.ts'

/**
 * The built example plugins (build/plugins/<name>.wasm) and fault fixtures
 * (build/fixtures/<name>.wasm) with unsigned test manifests: the runtime runs apps whose
 * signature was checked before, so its tests need only the manifest body.
 */

const BUILD = new URL('../../build/', import.meta.url)

export type AppKind = 'plugins' | 'fixtures'

/** The built module; a clear error when `npm run build` has not run. */
export async function builtWasm(kind: AppKind, name: string): Promise<Uint8Array> {
  const file = fileURLToPath(new URL(`${kind}/${name}.wasm`, BUILD))
  try {
    await access(file)
  } catch {
    throw new Error(`${file} is missing: run npm run build first`)
  }
  return new Uint8Array(await readFile(file))
}

/** A manifest body for an app named `name` with one service of the same name. */
export function manifestFor(name: string, wasm: Uint8Array, extra: Partial<ManifestBody> = {}): ManifestBody {
  return {
    schema: 'hypernet/manifest@1',
    app: { name, version: '1.0.0' },
    code: { hash: formatId(codeHash(wasm)), abi: 1 },
    publisher: '0'.repeat(64),
    services: [{ name, port: 7, protocol: 'stream' }],
    permissions: {},
    limits: {},
    ...extra
  }
}

/**
 * A runnable app from a built module. `app` renames it (two instances of one module), while
 * the service keeps the module's name, which is what the SDK's serve() registered.
 */
export async function builtApp(kind: AppKind, name: string, extra: Partial<ManifestBody> & { appName?: string } = {}): Promise<RunnableApp> {
  const wasm = await builtWasm(kind, name)
  const { appName, ...rest } = extra
  const manifest = manifestFor(name, wasm, rest)
  if (appName) manifest.app = { ...manifest.app, name: appName }
  return { manifest, wasm }
}

/** Resident set size of this process, in MiB. */
export function rssMiB(): number {
  return process.memoryUsage().rss / (1024 * 1024)
}

/** Resolve after `ms`. */
export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms))
}

/** Poll `fn` until it returns a truthy value; throws after `timeoutMs`. */
export async function until<T>(fn: () => T | Promise<T>, what: string, timeoutMs = 10_000): Promise<Exclude<T, false | null | undefined | 0 | ''>> {
  const deadline = Date.now() + timeoutMs
  for (;;) {
    const v = await fn()
    if (v) return v as Exclude<T, false | null | undefined | 0 | ''>
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`)
    await sleep(10)
  }
}
