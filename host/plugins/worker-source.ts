import { existsSync } from 'node:fs'
import { fileURLToPath, pathToFileURL } from 'node:url'
import { HypernetError } from '../errors.ts'
import { packageFile, runningFromSource } from '../util/package-root.ts'

/**
 * The plugin worker's code as one plain-JS module, from worker/plugin-worker.ts.
 *
 * Built (the package, `node bin/hypernet-host.js` after `npm run build`): the build bundled it
 * into dist/plugin-worker.js, next to the host's own code; its packages resolve from this
 * install's node_modules like the host's, so the worker runs exactly the Extism the host pinned.
 *
 * From source (tests, tsx): bundled here on first use with esbuild, a development dependency
 * that the package does not ship. Why not start the worker from its .ts file: on Node 20 a
 * worker does not inherit the tsx hooks, and registering tsx inside each worker costs a hooks
 * thread, ~19 MB of RSS and ~130 ms of start-up per plugin (measured: 8 workers, 277 MB vs
 * 136 MB RSS). Bundling once (~60 ms) makes every worker start in ~45 ms.
 *
 * @throws INTERNAL when the built worker is missing or cannot be bundled (a broken install)
 */
export async function workerSource(): Promise<URL> {
  if (!runningFromSource()) {
    const file = packageFile('dist', 'plugin-worker.js')
    if (!existsSync(file)) throw HypernetError.INTERNAL(`the plugin worker is missing: ${file} (reinstall, or run npm run build)`)
    return pathToFileURL(file)
  }
  return bundleFromSource()
}

async function bundleFromSource(): Promise<URL> {
  const entry = fileURLToPath(new URL('./worker/plugin-worker.ts', import.meta.url))
  let text: string
  try {
    const { buildSync } = await import('esbuild')
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
  // and the packages it loads only when needed (Extism, for a module that imports its kernel)
  text = text.replace(/\bimport\("([^"./][^"]*)"\)/g, (call, spec: string) => (spec.startsWith('node:') ? call : `import(${JSON.stringify(import.meta.resolve(spec))})`))
  return new URL('data:text/javascript;base64,' + Buffer.from(text).toString('base64'))
}
