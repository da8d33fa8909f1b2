import test, { after, before } from 'node:test'
import assert from 'node:assert/strict'
import { createHash } from 'node:crypto'
import { mkdtemp, readFile, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { buildAll, buildPlugin, closeCompiler, listTargets, type BuildTarget } from '../../scripts/build-plugins.js'

/** The only import namespaces a Hypernet host offers (ABI.md). */
const ALLOWED_NAMESPACES = new Set(['extism:host/user', 'extism:host/env'])

/** What every example plugin must export (ABI.md "Exports the plugin provides"). */
const REQUIRED_EXPORTS = ['memory', 'hn_abi_version', 'hn_buffer', 'hn_on_start', 'hn_on_open', 'hn_on_data', 'hn_on_close']

let targets: BuildTarget[] = []
const dirs: string[] = []

before(async () => {
  await buildAll()
  targets = await listTargets()
})

after(async () => {
  await closeCompiler()
  for (const dir of dirs) await rm(dir, { recursive: true, force: true })
})

function sha256(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex')
}

/** The limits of the module's own memory, read from its memory section (id 5). */
function memoryLimits(bytes: Uint8Array): { min: number; max: number | null } | null {
  let off = 8 // magic and version
  const leb = (): number => {
    let result = 0
    let shift = 0
    for (;;) {
      const b = bytes[off++]
      result += (b & 0x7f) * 2 ** shift
      if ((b & 0x80) === 0) return result
      shift += 7
    }
  }
  while (off < bytes.length) {
    const id = bytes[off++]
    const size = leb()
    const end = off + size
    if (id === 5) {
      assert.equal(leb(), 1, 'one memory')
      const flags = bytes[off++]
      const min = leb()
      return { min, max: flags & 1 ? leb() : null }
    }
    off = end
  }
  return null
}

test('building echo twice into two folders gives byte-identical wasm', async () => {
  const echo = targets.find((t) => t.kind === 'plugin' && t.name === 'echo')
  assert.ok(echo)
  const results = []
  for (let i = 0; i < 2; i++) {
    const dir = await mkdtemp(path.join(tmpdir(), `hn-build-${i}-`))
    dirs.push(dir)
    results.push(await buildPlugin({ ...echo, outFile: path.join(dir, 'echo.wasm') }))
  }
  const [a, b] = await Promise.all(results.map((r) => readFile(r.outFile)))
  assert.equal(sha256(a), results[0].sha256)
  assert.equal(sha256(a), sha256(b))
  assert.deepEqual(a, b)
  // The module in build/ came from the same sources and flags, so it is the same bytes too.
  assert.equal(sha256(await readFile(echo.outFile)), sha256(a))
})

test('every built example and fixture imports only from the extism:host namespaces', async () => {
  assert.ok(targets.length >= 11)
  for (const t of targets) {
    const module = new WebAssembly.Module(await readFile(t.outFile))
    const outside = WebAssembly.Module.imports(module).filter((i) => !ALLOWED_NAMESPACES.has(i.module))
    assert.deepEqual(outside, [], `${t.kind} ${t.name} imports ${outside.map((i) => `${i.module}.${i.name}`).join(', ')}`)
  }
})

test('every built module declares a memory maximum and exports its memory, except nomax', async () => {
  for (const t of targets) {
    const bytes = await readFile(t.outFile)
    const limits = memoryLimits(bytes)
    assert.ok(limits, `${t.name} has a memory section`)
    if (t.kind === 'fixture' && t.name === 'nomax') {
      assert.equal(limits.max, null, 'nomax has no maximum')
    } else {
      assert.equal(limits.max, t.maximumMemory, `${t.name} declares ${t.maximumMemory} pages`)
      assert.ok(limits.max !== null && limits.max <= 4096, `${t.name} stays within the host's 256 MiB cap`)
    }
    const exports = WebAssembly.Module.exports(new WebAssembly.Module(bytes)).map((e) => e.name)
    assert.ok(exports.includes('memory'), `${t.name} exports memory`)
  }
})

test('every example plugin exports what the ABI requires', async () => {
  for (const t of targets.filter((t) => t.kind === 'plugin')) {
    const exports = WebAssembly.Module.exports(new WebAssembly.Module(await readFile(t.outFile))).map((e) => e.name)
    for (const name of REQUIRED_EXPORTS) assert.ok(exports.includes(name), `${t.name} exports ${name}`)
  }
})

test('a second build finds every module up to date and compiles nothing', async () => {
  const { built, fresh } = await buildAll()
  assert.deepEqual(built, [])
  assert.equal(fresh.length, targets.length)
})
