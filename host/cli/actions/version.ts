import { readFile, access } from 'node:fs/promises'
import { createRequire } from 'node:module'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { ABI_VERSION, ABI_VERSIONS, MANIFEST_SCHEMA_ID } from '../../constants.ts'
import type { CliContext } from '../context.ts'

const require = createRequire(import.meta.url)

export interface VersionReport {
  host: string
  /** The ABI this host builds plugins for, and every ABI it runs. */
  abi: { current: number; supported: number[] }
  manifest: string
  hyperdht: string | null
  extism: string | null
  node: string
}

/** The versions that matter when reporting a problem: this host, its ABI, its network and sandbox libraries, Node. */
export async function versionReport(): Promise<VersionReport> {
  const host = (await hostPackage()).version as string
  return {
    host,
    abi: { current: ABI_VERSION, supported: [...ABI_VERSIONS] },
    manifest: MANIFEST_SCHEMA_ID,
    hyperdht: await packageVersion('hyperdht'),
    extism: await packageVersion('@extism/extism'),
    node: process.versions.node
  }
}

/** `version [--json]`. */
export async function version(ctx: CliContext): Promise<void> {
  const v = await versionReport()
  ctx.data(v, () => [
    `hypernet-host  ${v.host}`,
    `plugin ABI     ${v.abi.current} (runs ${v.abi.supported.join(', ')})`,
    `manifest       ${v.manifest}`,
    `hyperdht       ${v.hyperdht ?? 'not found'}`,
    `extism         ${v.extism ?? 'not found'}`,
    `node           ${v.node}`
  ])
}

/** This host's own package.json: the nearest one above this file named hypernet-host (from source or built). */
async function hostPackage(): Promise<{ version: string }> {
  let dir = dirname(fileURLToPath(import.meta.url))
  for (;;) {
    try {
      const pkg = JSON.parse(await readFile(join(dir, 'package.json'), 'utf8'))
      if (pkg.name === 'hypernet-host') return pkg
    } catch {
      // none here
    }
    const up = dirname(dir)
    if (up === dir) return { version: 'unknown' }
    dir = up
  }
}

/** The installed version of a dependency, read from its package.json where Node would find it (exports maps may hide the file). */
async function packageVersion(name: string): Promise<string | null> {
  for (const dir of require.resolve.paths(name) ?? []) {
    const file = join(dir, name, 'package.json')
    try {
      await access(file)
      return JSON.parse(await readFile(file, 'utf8')).version ?? null
    } catch {
      // not in this node_modules
    }
  }
  return null
}
