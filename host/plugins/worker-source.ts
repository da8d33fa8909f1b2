import { fileURLToPath } from 'node:url'
import { buildSync } from 'esbuild'
import { HypernetError } from '../errors.ts'

/**
 * The plugin worker's code as one plain-JS module, bundled from worker/plugin-worker.ts.
 *
 * Why not start the worker from its .ts file: on Node 20 a worker does not inherit the tsx
 * hooks, and registering tsx inside each worker costs a hooks thread, ~19 MB of RSS and
 * ~130 ms of start-up per plugin (measured: 8 workers, 277 MB vs 136 MB RSS). Bundling once
 * (~60 ms, esbuild is already here as tsx's compiler) makes every worker start in ~45 ms.
 * Packages stay outside the bundle, imported by absolute file URL from this install's
 * node_modules, so the worker runs exactly the Extism the host pinned.
 *
 * @throws INTERNAL when the worker cannot be bundled (a broken install)
 */
export function buildWorkerSource(): URL {
  const entry = fileURLToPath(new URL('./worker/plugin-worker.ts', import.meta.url))
  let text: string
  try {
    const result = buildSync({
      entryPoints: [entry],
      bundle: true,
      format: 'esm',
      platform: 'node',
      target: 'node20',
      packages: 'external',
      write: false,
      logLevel: 'silent'
    })
    text = result.outputFiles[0].text
  } catch (err) {
    throw HypernetError.INTERNAL(`cannot bundle the plugin worker from ${entry}: ${(err as Error).message}`, err)
  }
  // A data: URL module cannot resolve bare specifiers: point them at this install's files.
  text = text.replace(/^(import\s[^"\n]*?from\s*|import\s*)"([^"./][^"]*)";$/gm, (line, head: string, spec: string) =>
    spec.startsWith('node:') ? line : `${head}${JSON.stringify(import.meta.resolve(spec))};`
  )
  return new URL('data:text/javascript;base64,' + Buffer.from(text).toString('base64'))
}
