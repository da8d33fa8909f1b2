#!/usr/bin/env node
/**
 * Builds the C and Rust example plugins with the system's toolchains, when installed:
 *
 *   plugins/echo-c/echo.c     clang --target=wasm32 + wasm-ld   -> build/plugins/echo-c.wasm
 *   plugins/echo-rust/lib.rs  rustc --target wasm32-unknown-unknown -> build/plugins/echo-rust.wasm
 *
 * `npm run build:native`; the test suite (test/plugins/echo-native.test.ts) builds them itself
 * into a temporary folder. Neither toolchain is a dependency of the package: where one is
 * missing the build says which, in one line, and what to install (Debian: clang lld
 * libclang-rt-dev-wasm32 rustc libstd-rust-dev-wasm32; .ci/run installs them).
 *
 * The flags are the recipes of sdk/ABI.md. No libc, no WASI, no crates: nothing is fetched.
 */
import { execFile } from 'node:child_process'
import { existsSync } from 'node:fs'
import { mkdir, readFile } from 'node:fs/promises'
import path from 'node:path'
import { fileURLToPath, pathToFileURL } from 'node:url'
import { promisify } from 'node:util'

const run = promisify(execFile)

/** The repository root. */
export const ROOT = fileURLToPath(new URL('..', import.meta.url))

/** Memory maximum of the native examples, in bytes (wasm-ld counts bytes, not pages): 16 MiB. */
export const MAX_MEMORY_BYTES = 16 * 1024 * 1024

/** clang and wasm-ld flags (sdk/ABI.md "C"). `-mbulk-memory`: __builtin_memcpy becomes memory.copy, not a libc call. */
export function clangFlags(maxMemoryBytes = MAX_MEMORY_BYTES) {
  return [
    '--target=wasm32',
    '-O2',
    '-mbulk-memory',
    '-nostdlib',
    '-Wall',
    '-Wextra',
    '-Wno-unused-parameter',
    '-I',
    'sdk/include',
    '-Wl,--no-entry',
    `-Wl,--max-memory=${maxMemoryBytes}`
  ]
}

/** rustc flags (sdk/ABI.md "Rust"). */
export function rustcFlags(maxMemoryBytes = MAX_MEMORY_BYTES) {
  return [
    '--edition',
    '2021',
    '--crate-type',
    'cdylib',
    '--target',
    'wasm32-unknown-unknown',
    '-C',
    'opt-level=2',
    '-C',
    'lto',
    '-C',
    'strip=symbols',
    '-C',
    `link-arg=--max-memory=${maxMemoryBytes}`,
    // panic messages name source files: keep the machine's paths out of the module
    `--remap-path-prefix=${ROOT}=.`
  ]
}

/** The native examples: name, language, entry source (relative to the repository). */
export const NATIVE_PLUGINS = [
  { name: 'echo-c', lang: 'c', entry: 'plugins/echo-c/echo.c' },
  { name: 'echo-rust', lang: 'rust', entry: 'plugins/echo-rust/lib.rs' }
]

/**
 * The C toolchain, or why not: clang with a wasm32 backend and wasm-ld on PATH.
 * @returns {Promise<{ clang: string, version: string } | { missing: string }>}
 */
export async function findClang() {
  const clang = process.env.CC_WASM32 ?? 'clang'
  let version
  try {
    version = firstLine((await run(clang, ['--version'])).stdout)
  } catch {
    return { missing: `${clang} is not installed (Debian: apt-get install clang lld libclang-rt-dev-wasm32)` }
  }
  try {
    await run('wasm-ld', ['--version'])
  } catch {
    return { missing: 'wasm-ld is not installed (Debian: apt-get install lld)' }
  }
  return { clang, version }
}

/**
 * A rustc whose sysroot has the wasm32-unknown-unknown standard library, or why not. Tries
 * $RUSTC, rustc on PATH (often rustup's, which may lack the target), then Debian's /usr/bin/rustc.
 * @returns {Promise<{ rustc: string, version: string } | { missing: string }>}
 */
export async function findRustc() {
  const candidates = [...new Set([process.env.RUSTC, 'rustc', '/usr/bin/rustc'].filter(Boolean))]
  let found = false
  for (const rustc of candidates) {
    try {
      const sysroot = (await run(rustc, ['--print', 'sysroot'])).stdout.trim()
      found = true
      if (!existsSync(path.join(sysroot, 'lib', 'rustlib', 'wasm32-unknown-unknown', 'lib'))) continue
      return { rustc, version: firstLine((await run(rustc, ['--version'])).stdout) }
    } catch {
      // not installed under this name
    }
  }
  return {
    missing: found
      ? 'rustc has no wasm32-unknown-unknown standard library (Debian: apt-get install libstd-rust-dev-wasm32; rustup: rustup target add wasm32-unknown-unknown)'
      : 'rustc is not installed (Debian: apt-get install rustc libstd-rust-dev-wasm32)'
  }
}

/**
 * Build one native example to `outFile`.
 * @param {{ name: string, lang: string, entry: string }} plugin one of NATIVE_PLUGINS
 * @param {string} outFile
 * @returns {Promise<{ outFile: string, bytes: number, ms: number, compiler: string } | { missing: string }>}
 * @throws {Error} with the compiler's output when the build fails
 */
export async function buildNative(plugin, outFile) {
  const started = performance.now()
  const tool = plugin.lang === 'c' ? await findClang() : await findRustc()
  if ('missing' in tool) return tool
  await mkdir(path.dirname(outFile), { recursive: true })
  const [cmd, args] =
    plugin.lang === 'c' ? [tool.clang, [...clangFlags(), '-o', outFile, plugin.entry]] : [tool.rustc, [...rustcFlags(), '-o', outFile, plugin.entry]]
  try {
    await run(cmd, args, { cwd: ROOT })
  } catch (err) {
    throw new Error(`building ${plugin.entry} failed: ${cmd} ${args.join(' ')}\n${err.stderr || err.message}`)
  }
  const bytes = (await readFile(outFile)).byteLength
  return { outFile, bytes, ms: Math.round(performance.now() - started), compiler: tool.version }
}

function firstLine(text) {
  return text.split('\n')[0].trim()
}

if (process.argv[1] && pathToFileURL(process.argv[1]).href === import.meta.url) {
  for (const plugin of NATIVE_PLUGINS) {
    const r = await buildNative(plugin, path.join(ROOT, 'build', 'plugins', `${plugin.name}.wasm`)).catch((err) => {
      process.exitCode = 1
      return { missing: err.message }
    })
    if ('missing' in r) console.log(`${plugin.name}: not built: ${r.missing}`)
    else console.log(`built ${path.relative(process.cwd(), r.outFile)} ${(r.bytes / 1024).toFixed(1)} KiB in ${r.ms} ms (${r.compiler})`)
  }
}
