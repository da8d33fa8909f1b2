import { verifyApp } from '../audit/index.ts'
import { formatId, parseHash, parseKey } from '../encoding/ids.ts'
import { serviceHash } from '../manifest/index.ts'
import type { Manifest } from '../manifest/index.ts'
import type { AppStore, InstalledApp } from '../store/index.ts'

/**
 * Loads installed apps for running. Every start re-verifies what is on disk (signature, code
 * hash, expiry, imports): the store is a folder a user can edit, and an app whose manifest
 * expired since install must stop running.
 */

export interface LoadedService {
  name: string
  port: number
  /** Service hash, hex. */
  hash: string
}

export interface LoadedApp {
  installed: InstalledApp
  manifest: Manifest
  wasm: Buffer
  services: LoadedService[]
}

export type LoadResult = { ok: true; app: LoadedApp } | { ok: false; installed: InstalledApp; code: string; message: string }

/** Verify and load one installed app; never throws for a bad app (it is reported). */
export async function loadInstalledApp(store: AppStore, installed: InstalledApp): Promise<LoadResult> {
  const files = store.filesOf(installed)
  try {
    const v = await verifyApp({ wasmFile: files.wasm, manifestFile: files.manifest })
    if (v.codeHash !== installed.codeHash) throw new Error(`store folder ${installed.codeHash} holds code ${v.codeHash}`)
    const code = parseHash(v.manifest.code.hash)
    return {
      ok: true,
      app: {
        installed,
        manifest: v.manifest,
        wasm: v.wasm,
        services: v.manifest.services.map((s) => ({ name: s.name, port: s.port, hash: formatId(serviceHash(code, s.name)) }))
      }
    }
  } catch (err) {
    const e = err as { code?: string; message?: string }
    return { ok: false, installed, code: e.code ?? 'INTERNAL', message: e.message ?? String(err) }
  }
}

/** The descriptor entry for a running app, given its services' keys. */
export function descriptorEntry(app: LoadedApp, keyOf: (serviceHash: string) => Buffer) {
  return {
    codeHash: parseHash(app.manifest.code.hash),
    name: app.manifest.app.name,
    version: app.manifest.app.version,
    publisher: parseKey(app.manifest.publisher),
    services: app.services.map((s) => ({ name: s.name, port: s.port, key: keyOf(s.hash) }))
  }
}
