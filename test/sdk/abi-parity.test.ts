import test from 'node:test'
import assert from 'node:assert/strict'
import { readFileSync } from 'node:fs'
import { ABI_VERSION } from '../../host/constants.ts'
import { CLOSE_REASON, CONNECTION_EXPORTS, HOST_FUNCTIONS, HOST_MODULE, OPEN_KIND, RC, REQUIRED_EXPORTS, TIMER_EXPORT } from '../../host/abi.ts'
import { RUNTIME_LIMITS } from '../../host/plugins/plugin-limits.ts'

// The SDK is AssemblyScript and cannot import the host's tables: read its constants as text.
const RAW = readFileSync(new URL('../../sdk/assembly/raw.ts', import.meta.url), 'utf8')
const sdk = Object.fromEntries([...RAW.matchAll(/export const (\w+): i32 = (-?\d+)/g)].map((m) => [m[1], Number(m[2])]))

test("the SDK's return codes are the host's, name for name", () => {
  for (const [name, value] of Object.entries(RC)) if (name !== 'OK') assert.equal(sdk[name], value, `RC.${name}`)
  const sdkCodes = Object.keys(sdk).filter((k) => /^E[A-Z]+$/.test(k))
  assert.deepEqual(
    sdkCodes.sort(),
    Object.keys(RC)
      .filter((k) => k !== 'OK')
      .sort(),
    'no code on one side only'
  )
})

test("the SDK's close reasons and ABI version are the host's", () => {
  for (const [name, value] of Object.entries(CLOSE_REASON)) assert.equal(sdk[`CLOSE_${name}`], value, `CLOSE_REASON.${name}`)
  assert.equal(sdk.ABI_VERSION, ABI_VERSION)
})

test("the SDK's hn_on_open kinds are the host's", { timeout: 10_000 }, () => {
  for (const [name, value] of Object.entries(OPEN_KIND)) assert.equal(sdk[`OPEN_${name}`], value, `OPEN_KIND.${name}`)
  assert.deepEqual(
    Object.keys(sdk)
      .filter((k) => k.startsWith('OPEN_'))
      .sort(),
    Object.keys(OPEN_KIND)
      .map((k) => `OPEN_${k}`)
      .sort()
  )
})

test('every host function the SDK imports is one the host offers', () => {
  const imports = [...RAW.matchAll(/@external\("([^"]+)", "(\w+)"\)/g)].map((m) => [m[1], m[2]])
  assert.ok(imports.length >= 10)
  for (const [mod, name] of imports) {
    assert.equal(mod, HOST_MODULE)
    assert.ok(name in HOST_FUNCTIONS, `${name} is offered`)
  }
})

// The C header and the Rust module are read as text too; sdk/ABI.md's tables give each function's shape.
const HEADER = readFileSync(new URL('../../sdk/include/hypernet.h', import.meta.url), 'utf8')
const RUST = readFileSync(new URL('../../sdk/rust/hypernet.rs', import.meta.url), 'utf8')
const ABI_MD = readFileSync(new URL('../../sdk/ABI.md', import.meta.url), 'utf8')
/** `-8`, `(-8)`, `(256 * 1024)` as a number. */
const product = (text: string) =>
  text
    .replace(/[()\s]/g, '')
    .split('*')
    .reduce((a, b) => a * Number(b), 1)
const cDefines = Object.fromEntries([...HEADER.matchAll(/^#define HN_(\w+) (\(?-?\d+(?: \* \d+)?\)?)(?:\s|$)/gm)].map((m) => [m[1], product(m[2])]))
const rustConsts = Object.fromEntries([...RUST.matchAll(/^pub const (\w+): (?:i32|usize) = (-?\d+(?: \* \d+)?);/gm)].map((m) => [m[1], product(m[2])]))
/** name -> [parameter count, return type] from ABI.md's export and import tables. */
const documented = new Map(
  [...ABI_MD.matchAll(/^\| `(hn_\w+)` \| `\(([^)]*)\) -> (i32|f64)` \|/gm)].map((m) => [m[1], [m[2] === '' ? 0 : m[2].split(',').length, m[3]] as const])
)
const arity = (params: string) => (params.trim() === '' || params.trim() === 'void' ? 0 : params.split(',').length)
const cType = (t: string) => (t.trim() === 'double' ? 'f64' : 'i32') // int32_t and pointers are i32 on wasm32

test("hypernet.h declares every host function the host offers, from the host's module, in ABI.md's shape", () => {
  const imports = [...HEADER.matchAll(/^HN_IMPORT\((\w+)\) (\w+(?: \*)?) ?(\w+)\(([^)]*)\);/gm)]
  assert.match(HEADER, new RegExp(`import_module\\("${HOST_MODULE}"\\)`))
  assert.deepEqual(imports.map((m) => m[1]).sort(), Object.keys(HOST_FUNCTIONS).sort(), 'exactly the host functions')
  for (const [, name, ret, fn, params] of imports) {
    assert.equal(fn, name, `${name} is imported under its own name`)
    assert.deepEqual([arity(params), cType(ret)], documented.get(name), `${name}: parameters and result as ABI.md says`)
  }
})

test("hypernet.h declares every export the host calls, in ABI.md's shape", () => {
  const exports = [...HEADER.matchAll(/^(\w+(?: \*)?) ?(hn_\w+)\(([^)]*)\);/gm)].filter((m) => !m[0].startsWith('HN_IMPORT'))
  const names = exports.map((m) => m[2])
  for (const name of [...REQUIRED_EXPORTS.filter((n) => n !== 'memory'), ...CONNECTION_EXPORTS, TIMER_EXPORT, 'hn_on_drain'])
    assert.ok(names.includes(name), name)
  for (const [, ret, name, params] of exports)
    assert.deepEqual([arity(params), cType(ret)], documented.get(name), `${name}: parameters and result as ABI.md says`)
})

test("hypernet.h's and hypernet.rs's constants are the host's", () => {
  for (const [consts, prefix] of [
    [cDefines, 'HN_'],
    [rustConsts, '']
  ] as const) {
    for (const [name, value] of Object.entries(RC)) assert.equal(consts[name], value, `${prefix}${name}`)
    for (const [name, value] of Object.entries(OPEN_KIND)) assert.equal(consts[`OPEN_${name}`], value, `${prefix}OPEN_${name}`)
    for (const [name, value] of Object.entries(CLOSE_REASON)) assert.equal(consts[`CLOSE_${name}`], value, `${prefix}CLOSE_${name}`)
    assert.equal(consts.ABI_VERSION, ABI_VERSION)
    assert.equal(consts.MAX_BUFFER_BYTES, RUNTIME_LIMITS.maxDataBytes, `${prefix}MAX_BUFFER_BYTES`)
    assert.equal(consts.MAX_SEND_BYTES, RUNTIME_LIMITS.maxSendBytes, `${prefix}MAX_SEND_BYTES`)
  }
  for (const [name, key] of [
    ['MAX_STORE_KEY_BYTES', 'maxKeyBytes'],
    ['MAX_STORE_VALUE_BYTES', 'maxValueBytes'],
    ['MAX_RANDOM_BYTES', 'maxRandomBytes']
  ] as const)
    assert.equal(cDefines[name], RUNTIME_LIMITS[key], `HN_${name}`)
  assert.deepEqual(
    Object.keys(cDefines)
      .filter((k) => /^E[A-Z]+$/.test(k))
      .sort(),
    Object.keys(RC)
      .filter((k) => k !== 'OK')
      .sort(),
    'no code on one side only'
  )
})

test('hypernet.rs imports every host function the host offers, from its module', () => {
  assert.match(RUST, new RegExp(`#\\[link\\(wasm_import_module = "${HOST_MODULE}"\\)\\]`))
  const fns = [...RUST.matchAll(/^ {4}pub fn (hn_\w+)\(([^)]*)\) -> (i32|f64);/gm)]
  assert.deepEqual(fns.map((m) => m[1]).sort(), Object.keys(HOST_FUNCTIONS).sort())
  for (const [, name, params, ret] of fns) assert.deepEqual([arity(params), ret], documented.get(name), name)
})
