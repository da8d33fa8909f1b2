#!/usr/bin/env node
/**
 * Builds the host to plain JavaScript with esbuild, so the package runs on Node alone (no tsx,
 * no esbuild at run time):
 *
 *   host/cli/main.ts                  -> dist/cli.js, plus dist/chunks/*.js
 *   host/index.ts                     -> dist/index.js (the library: `import ... from 'hypernet-host'`)
 *   host/plugins/worker/plugin-worker.ts -> dist/plugin-worker.js (one file, started per plugin)
 *
 * The CLI is split at its dynamic imports: each command's handler stays a chunk of its own that
 * is loaded only when the command runs, so `--help` and `--version` never load Extism or
 * HyperDHT. Packages stay external (imported from node_modules as the source does). Files the
 * host reads at run time (manifests/, build/plugins/, sdk/) are found from the package root
 * (host/util/package-root.ts), so they are not copied.
 *
 * Run by `npm run build` (and so by `npm install`, `npm ci` and `npm pack` through `prepare`).
 * Always rebuilds; it takes well under a second. Type checking is `tsc --noEmit`'s job.
 */
import { rm } from 'node:fs/promises'
import path from 'node:path'
import { fileURLToPath, pathToFileURL } from 'node:url'

const ROOT = fileURLToPath(new URL('..', import.meta.url))
export const DIST = path.join(ROOT, 'dist')

/** Options both builds share; worker-source.ts bundles the worker from source the same way. */
const COMMON = {
  bundle: true,
  format: 'esm',
  platform: 'node',
  target: 'node20',
  packages: 'external',
  logLevel: 'warning',
  legalComments: 'none'
}

/**
 * Build dist/ from host/.
 * @returns {Promise<{ files: string[], ms: number }>} the files written, relative to the root
 */
export async function buildDist() {
  const started = performance.now()
  const { build } = await import('esbuild')
  await rm(DIST, { recursive: true, force: true })
  const cli = await build({
    ...COMMON,
    entryPoints: { cli: path.join(ROOT, 'host', 'cli', 'main.ts'), index: path.join(ROOT, 'host', 'index.ts') },
    outdir: DIST,
    splitting: true,
    chunkNames: 'chunks/[name]-[hash]',
    metafile: true
  })
  const worker = await build({
    ...COMMON,
    entryPoints: { 'plugin-worker': path.join(ROOT, 'host', 'plugins', 'worker', 'plugin-worker.ts') },
    outdir: DIST,
    metafile: true
  })
  const files = [...Object.keys(cli.metafile.outputs), ...Object.keys(worker.metafile.outputs)].sort()
  return { files, ms: Math.round(performance.now() - started) }
}

if (process.argv[1] && pathToFileURL(process.argv[1]).href === import.meta.url) {
  buildDist().then(
    ({ files, ms }) => console.log(`built dist/ (${files.length} files) in ${ms} ms`),
    (err) => {
      console.error(err.message)
      process.exitCode = 1
    }
  )
}
