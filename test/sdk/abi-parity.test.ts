import test from 'node:test'
import assert from 'node:assert/strict'
import { readFileSync } from 'node:fs'
import { ABI_VERSION } from '../../host/constants.ts'
import { CLOSE_REASON, HOST_FUNCTIONS, HOST_MODULE, OPEN_KIND, RC } from '../../host/abi.ts'

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
