import { existsSync, readFileSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'

/**
 * Files the host reads at run time (the manifest schema, the example apps, the SDK, the
 * built plugin worker) live beside its code in the package: under the checkout when run from
 * source (host/...), under the installed package when run from the build (dist/...). The
 * build moves code into chunks at other depths, so no fixed `../..` is right for both: the
 * root is the nearest folder above this module with a package.json.
 */
let root: string | null = null

/** The package's root folder (a checkout or node_modules/hypernet-host). */
export function packageRoot(): string {
  if (root !== null) return root
  let dir = dirname(fileURLToPath(import.meta.url))
  while (!existsSync(join(dir, 'package.json'))) {
    const up = dirname(dir)
    if (up === dir) throw new Error(`no package.json above ${fileURLToPath(import.meta.url)}`)
    dir = up
  }
  root = dir
  return root
}

/** A path inside the package, e.g. packageFile('manifests', 'manifest.schema.json'). */
export function packageFile(...parts: string[]): string {
  return join(packageRoot(), ...parts)
}

/** The package's version, from its package.json. */
export function packageVersion(): string {
  return (JSON.parse(readFileSync(packageFile('package.json'), 'utf8')) as { version: string }).version
}

/** Whether this code runs from TypeScript source (through tsx) rather than from dist/. */
export function runningFromSource(): boolean {
  return import.meta.url.endsWith('.ts')
}
