#!/usr/bin/env node
/**
 * Builds the example plugins and the runtime's fault fixtures with the AssemblyScript
 * compiler from node_modules, offline:
 *
 *   plugins/<name>/index.ts          -> build/plugins/<name>.wasm
 *   test/fixtures/plugins/<name>.ts  -> build/fixtures/<name>.wasm
 *
 * Run by `npm install` (prepare) and `npm run build`; `--force` rebuilds everything.
 * A module whose output is newer than every input (its sources, the SDK, this script, the
 * compiler's version) is skipped, so `npm test` stays fast.
 *
 * Reproducible: the same sources give byte-identical wasm. Paths inside the module (abort
 * messages name source files) are relative to the repository, no debug info or source map
 * is emitted, and no flag depends on the machine.
 *
 * The compiler runs in one worker thread per process, started on first use: the worker gets
 * no execArgv, so a caller running under tsx does not push the compiler's 10 MB of
 * JavaScript through its loader (11 s instead of 0.5 s), and a compiler crash, which calls
 * process.exit, ends the worker instead of the caller.
 */
import { createHash } from 'node:crypto'
import { readFile, readdir, rename, stat, writeFile, mkdir, rm } from 'node:fs/promises'
import path from 'node:path'
import { fileURLToPath, pathToFileURL } from 'node:url'
import { Worker, isMainThread, parentPort, workerData } from 'node:worker_threads'

/** The repository root. */
export const ROOT = fileURLToPath(new URL('..', import.meta.url))

/** The SDK's package name, as plugin sources import it. */
export const SDK_PACKAGE = '@hypernet/sdk'

const SDK_DIR = path.join(ROOT, 'sdk')
const SELF = fileURLToPath(import.meta.url)
// Wherever npm put the compiler (hoisted or not): its package.json marks its version.
const ASC_PACKAGE_JSON = fileURLToPath(import.meta.resolve('assemblyscript/package.json'))

/** Memory maximum every module declares unless told otherwise: 256 pages = 16 MiB. */
export const DEFAULT_MAX_PAGES = 256

/**
 * Fixtures that must differ from the rule. `null` means no --maximumMemory at all.
 * alloc declares the host's own cap (256 MiB) so its test proves the host lowers a
 * maximum to the manifest's limits.memoryMiB rather than trusting the module's.
 */
const MAX_PAGES = {
  'fixtures/nomax': null,
  'fixtures/alloc': 4096
}

// Plugin sources import "@hypernet/sdk" as an author's project does, but this checkout
// has no node_modules/@hypernet/sdk link (npm makes one only for a listed dependency), so
// the build answers the compiler's reads of that package from ./sdk itself.
const SDK_IMPORT = /[\\/]node_modules[\\/]@hypernet[\\/]sdk[\\/](.+)$/

/**
 * The asc flags every Hypernet module is built with. The scaffold's package.json carries
 * the same list (a test holds them equal).
 * @param {{ maximumMemory?: number | null }} [opts] pages (64 KiB each); null for none
 * @returns {string[]}
 */
export function ascFlags(opts = {}) {
  const maximumMemory = opts.maximumMemory === undefined ? DEFAULT_MAX_PAGES : opts.maximumMemory
  const flags = [
    '-O3',
    '--runtime',
    'incremental',
    // The host offers no `env` module: route AssemblyScript's env imports into the SDK.
    '--use',
    `abort=~lib/${SDK_PACKAGE}/assembly/runtime/hnAbort`,
    '--use',
    `trace=~lib/${SDK_PACKAGE}/assembly/runtime/hnTrace`,
    '--use',
    `seed=~lib/${SDK_PACKAGE}/assembly/runtime/hnSeed`
  ]
  if (maximumMemory !== null) flags.push('--maximumMemory', String(maximumMemory))
  return flags
}

/**
 * Every module this repository builds.
 * @param {{ outDir?: string }} [opts] where to put build/plugins and build/fixtures
 * @returns {Promise<Array<{ name: string, kind: 'plugin' | 'fixture', entry: string, sources: string[], outFile: string, maximumMemory: number | null }>>}
 */
export async function listTargets(opts = {}) {
  const outDir = opts.outDir ?? path.join(ROOT, 'build')
  const targets = []
  for (const name of await listDir(path.join(ROOT, 'plugins'))) {
    const dir = path.join(ROOT, 'plugins', name)
    const entry = path.join(dir, 'index.ts')
    if (!(await exists(entry))) continue
    targets.push(target(name, 'plugin', entry, await listSources(dir), path.join(outDir, 'plugins', `${name}.wasm`)))
  }
  const fixtures = path.join(ROOT, 'test', 'fixtures', 'plugins')
  for (const file of await listDir(fixtures)) {
    if (!file.endsWith('.ts')) continue
    const name = file.slice(0, -3)
    const entry = path.join(fixtures, file)
    targets.push(target(name, 'fixture', entry, [entry], path.join(outDir, 'fixtures', `${name}.wasm`)))
  }
  return targets
}

function target(name, kind, entry, sources, outFile) {
  const key = `${kind === 'plugin' ? 'plugins' : 'fixtures'}/${name}`
  const maximumMemory = key in MAX_PAGES ? MAX_PAGES[key] : DEFAULT_MAX_PAGES
  return { name, kind, entry, sources, outFile, maximumMemory }
}

/**
 * Compile one AssemblyScript entry file to `outFile` (written atomically).
 * @param {{ entry: string, outFile: string, maximumMemory?: number | null }} opts
 * @returns {Promise<{ outFile: string, bytes: number, sha256: string, ms: number }>}
 * @throws {Error} with the compiler's diagnostics when the build fails
 */
export function buildPlugin(opts) {
  const c = compiler ?? startCompiler()
  const id = c.nextId++
  return new Promise((resolve, reject) => {
    c.pending.set(id, { resolve, reject })
    c.worker.ref()
    c.worker.postMessage({ id, opts: { entry: opts.entry, outFile: opts.outFile, maximumMemory: opts.maximumMemory } })
  })
}

/** Stop the compiler worker, if one is running. Idle, it never keeps the process alive. */
export async function closeCompiler() {
  const c = compiler
  compiler = null
  if (c !== null) await c.worker.terminate()
}

/** @type {null | { worker: Worker, pending: Map<number, { resolve: Function, reject: Function }>, nextId: number }} */
let compiler = null

function startCompiler() {
  const worker = new Worker(new URL(import.meta.url), { execArgv: [], workerData: { role: 'compiler' } })
  const c = { worker, pending: new Map(), nextId: 1 }
  const failAll = (err) => {
    if (compiler === c) compiler = null
    for (const p of c.pending.values()) p.reject(err)
    c.pending.clear()
  }
  worker.on('message', ({ id, result, error }) => {
    const p = c.pending.get(id)
    c.pending.delete(id)
    if (c.pending.size === 0) worker.unref()
    if (error !== undefined) p?.reject(new Error(error))
    else p?.resolve(result)
  })
  worker.on('error', failAll)
  worker.on('exit', (code) => failAll(new Error(`the AssemblyScript compiler exited with code ${code}`)))
  worker.unref()
  compiler = c
  return c
}

async function compile(opts) {
  const started = performance.now()
  const { default: asc } = await import('assemblyscript/asc')
  const stderr = asc.createMemoryStream()
  let binary = null
  const argv = [
    toPosix(path.relative(ROOT, opts.entry)),
    // Never written under this name: writeFile below keeps the bytes in memory.
    '--outFile',
    'out.wasm',
    '--baseDir',
    ROOT,
    '--noColors',
    ...ascFlags({ maximumMemory: opts.maximumMemory })
  ]
  const { error } = await asc.main(argv, {
    stdout: asc.createMemoryStream(),
    stderr,
    readFile: readSource,
    writeFile: (name, contents) => {
      if (name.endsWith('.wasm')) binary = contents
    },
    listFiles: async () => []
  })
  if (error !== null || binary === null) {
    const why = stderr.toString().trim() || (error ? error.message : 'no output')
    throw new Error(`building ${path.relative(ROOT, opts.entry)} failed:\n${why}`)
  }
  await mkdir(path.dirname(opts.outFile), { recursive: true })
  const tmp = `${opts.outFile}.${process.pid}.tmp`
  try {
    await writeFile(tmp, binary)
    await rename(tmp, opts.outFile)
  } catch (err) {
    await rm(tmp, { force: true })
    throw err
  }
  const sha256 = createHash('sha256').update(binary).digest('hex')
  return { outFile: opts.outFile, bytes: binary.length, sha256, ms: Math.round(performance.now() - started) }
}

/**
 * Build every target whose output is missing or older than one of its inputs.
 * @param {{ outDir?: string, force?: boolean, print?: (line: string) => void }} [opts]
 * @returns {Promise<{ built: string[], fresh: string[] }>} output files
 */
export async function buildAll(opts = {}) {
  const print = opts.print ?? (() => {})
  const shared = [...(await listSources(SDK_DIR)), SELF, ASC_PACKAGE_JSON]
  const built = []
  const fresh = []
  for (const t of await listTargets(opts)) {
    if (!opts.force && (await isFresh(t.outFile, [...t.sources, ...shared]))) {
      fresh.push(t.outFile)
      continue
    }
    const r = await buildPlugin(t)
    built.push(t.outFile)
    print(`built ${path.relative(process.cwd(), r.outFile)} ${formatSize(r.bytes)} sha256:${r.sha256.slice(0, 16)} in ${r.ms} ms`)
  }
  if (built.length === 0) print(`plugins up to date (${fresh.length} modules)`)
  return { built, fresh }
}

async function readSource(filename, baseDir) {
  const file = path.resolve(baseDir, filename)
  const sdk = SDK_IMPORT.exec(file)
  try {
    return await readFile(sdk ? path.join(SDK_DIR, sdk[1]) : file, 'utf8')
  } catch {
    return null
  }
}

async function isFresh(outFile, inputs) {
  let out
  try {
    out = (await stat(outFile)).mtimeMs
  } catch {
    return false
  }
  for (const input of inputs) {
    if ((await stat(input)).mtimeMs >= out) return false
  }
  return true
}

/** Every .ts and package.json below `dir`, skipping node_modules. */
async function listSources(dir) {
  const files = []
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    const file = path.join(dir, entry.name)
    if (entry.isDirectory() && entry.name !== 'node_modules') files.push(...(await listSources(file)))
    else if (entry.isFile() && (entry.name.endsWith('.ts') || entry.name === 'package.json')) files.push(file)
  }
  return files.sort()
}

async function listDir(dir) {
  try {
    return (await readdir(dir)).sort()
  } catch (err) {
    if (err.code === 'ENOENT') return []
    throw err
  }
}

async function exists(file) {
  try {
    await stat(file)
    return true
  } catch {
    return false
  }
}

function toPosix(p) {
  return p.split(path.sep).join('/')
}

function formatSize(bytes) {
  return bytes < 1024 ? `${bytes} B` : `${(bytes / 1024).toFixed(1)} KiB`
}

if (!isMainThread && workerData?.role === 'compiler') {
  // One job at a time, in arrival order: the compiler keeps global state between runs.
  let queue = Promise.resolve()
  parentPort.on('message', ({ id, opts }) => {
    queue = queue.then(async () => {
      try {
        parentPort.postMessage({ id, result: await compile(opts) })
      } catch (err) {
        parentPort.postMessage({ id, error: err instanceof Error ? err.message : String(err) })
      }
    })
  })
} else if (isMainThread && process.argv[1] && pathToFileURL(process.argv[1]).href === import.meta.url) {
  buildAll({ force: process.argv.includes('--force'), print: (line) => console.log(line) })
    .catch((err) => {
      console.error(err.message)
      process.exitCode = 1
    })
    .finally(closeCompiler)
}
