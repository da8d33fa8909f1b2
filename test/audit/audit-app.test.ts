import test from 'node:test'
import assert from 'node:assert/strict'
import { readFile, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { auditApp, verifyApp } from '../../host/audit/audit-app.ts'
import { generateKeyPair, signManifest } from '../../host/manifest/signing.ts'
import { makeSignedApp, draftFor } from '../helpers/app-fixture.ts'
import { ABI_EXPORTS, buildModule } from '../helpers/wasm-builder.ts'
import { teardown } from '../helpers/teardown.ts'
import { rm } from 'node:fs/promises'

async function app(t: any, opts: Parameters<typeof makeSignedApp>[0] = {}) {
  const a = await makeSignedApp(opts)
  teardown(t)(() => rm(a.dir, { recursive: true, force: true }))
  return a
}

test('a well-formed signed app passes every check and reports its services and permissions', async (t) => {
  const a = await app(t, { draft: draftFor('echo', { permissions: { storage: { quotaBytes: 4096 }, timers: true } }) })
  const r = await auditApp({ wasmFile: a.wasmFile, manifestFile: a.manifestFile })
  assert.equal(r.ok, true, r.problem)
  assert.equal(r.services[0].name, 'echo')
  assert.match(r.services[0].hash, /^[0-9a-f]{64}$/)
  assert.ok(r.permissions.some((p) => p.words.includes('keep up to 4 KiB')))
  assert.equal(r.publisher?.trusted, false)
  const trusted = await auditApp({ wasmFile: a.wasmFile, manifestFile: a.manifestFile, trusted: new Set([a.keyPair.publicKey.toString('hex')]) })
  assert.equal(trusted.publisher?.trusted, true)
})

test('refuses a wasm whose bytes changed after signing', async (t) => {
  const a = await app(t)
  await writeFile(a.wasmFile, buildModule({ salt: 'changed' }))
  await assert.rejects(verifyApp({ wasmFile: a.wasmFile, manifestFile: a.manifestFile }), {
    code: 'CODE_HASH_MISMATCH',
    message: /manifest says [0-9a-f]{64}, the file hashes to [0-9a-f]{64}/
  })
})

test('refuses a manifest field changed after signing', async (t) => {
  const a = await app(t)
  const m = JSON.parse(await readFile(a.manifestFile, 'utf8'))
  m.services[0].port = 8080
  await writeFile(a.manifestFile, JSON.stringify(m))
  await assert.rejects(verifyApp({ wasmFile: a.wasmFile, manifestFile: a.manifestFile }), { code: 'SIGNATURE_INVALID' })
})

test('refuses a manifest signed by another key than its publisher', async (t) => {
  const a = await app(t)
  const m = JSON.parse(await readFile(a.manifestFile, 'utf8'))
  const other = generateKeyPair()
  const { signature } = signManifest({ ...m, publisher: other.publicKey.toString('hex') }, other)
  await writeFile(a.manifestFile, JSON.stringify({ ...m, signature }))
  await assert.rejects(verifyApp({ wasmFile: a.wasmFile, manifestFile: a.manifestFile }), { code: 'SIGNATURE_INVALID' })
})

test('refuses an expired manifest', async (t) => {
  const a = await app(t, { draft: draftFor('echo', { expires: '2020-01-01T00:00:00Z' }) })
  await assert.rejects(verifyApp({ wasmFile: a.wasmFile, manifestFile: a.manifestFile }), {
    code: 'MANIFEST_EXPIRED',
    message: 'MANIFEST_EXPIRED: the manifest expired at 2020-01-01T00:00:00Z'
  })
})

test('refuses a file that is not wasm, an empty file and a truncated module', async (t) => {
  const a = await app(t)
  const good = await readFile(a.wasmFile)
  const cases: Array<[Uint8Array, RegExp]> = [
    [Buffer.from('hello, I am text'), /expected a WebAssembly module \(starting with \\0asm\), got other bytes/],
    [Buffer.alloc(0), /expected a WebAssembly module, got an empty file/],
    [good.subarray(0, good.byteLength - 5), /not a valid WebAssembly module \(truncated or corrupt\)/]
  ]
  for (const [bytes, message] of cases) {
    await writeFile(a.wasmFile, bytes)
    await assert.rejects(verifyApp({ wasmFile: a.wasmFile, manifestFile: a.manifestFile }), { code: 'WASM_INVALID', message })
  }
})

test('refuses a manifest that is not JSON and a missing manifest', async (t) => {
  const a = await app(t)
  await writeFile(a.manifestFile, '{ not json')
  await assert.rejects(verifyApp({ wasmFile: a.wasmFile, manifestFile: a.manifestFile }), {
    code: 'MANIFEST_NOT_JSON',
    message: /echo\.manifest\.json: expected a JSON manifest/
  })
  await rm(a.manifestFile)
  await assert.rejects(verifyApp({ wasmFile: a.wasmFile, manifestFile: a.manifestFile }), {
    code: 'FILE_NOT_FOUND',
    message: /echo\.manifest\.json: manifest not found/
  })
})

test('refuses a manifest that breaks the schema, naming file and JSON path', async (t) => {
  const a = await app(t)
  const m = JSON.parse(await readFile(a.manifestFile, 'utf8'))
  m.services.push({ name: 'echo', port: 9, protocol: 'stream' })
  await writeFile(a.manifestFile, JSON.stringify(m))
  await assert.rejects(verifyApp({ wasmFile: a.wasmFile, manifestFile: a.manifestFile }), {
    code: 'MANIFEST_INVALID',
    message: /echo\.manifest\.json#\/services\/1\/name: duplicate service name "echo"/
  })
})

test('refuses a wasm that imports host functions that do not exist', async (t) => {
  const a = await app(t, {
    module: {
      imports: [
        { module: 'extism:host/user', name: 'hn_send' },
        { module: 'extism:host/user', name: 'hn_format_disk' },
        { module: 'env', name: 'abort' }
      ]
    }
  })
  await assert.rejects(verifyApp({ wasmFile: a.wasmFile, manifestFile: a.manifestFile }), {
    code: 'IMPORT_NOT_ALLOWED',
    message: 'IMPORT_NOT_ALLOWED: the wasm imports functions this host does not offer: extism:host/user::hn_format_disk, env::abort'
  })
})

test("refuses Extism's HTTP functions, which would reach the network around the host", async (t) => {
  const a = await app(t, { module: { imports: [{ module: 'extism:host/env', name: 'http_request' }] } })
  await assert.rejects(verifyApp({ wasmFile: a.wasmFile, manifestFile: a.manifestFile }), {
    code: 'IMPORT_NOT_ALLOWED',
    message: /extism:host\/env::http_request/
  })
})

test('refuses a module missing the exports its services need', async (t) => {
  const a = await app(t, { module: { exports: ['hn_abi_version', 'hn_buffer', 'hn_on_start'] } })
  await assert.rejects(verifyApp({ wasmFile: a.wasmFile, manifestFile: a.manifestFile }), {
    code: 'EXPORT_MISSING',
    message: /hn_on_open, hn_on_data, hn_on_close/
  })
})

test('refuses a module whose memory has no maximum or one above the host cap', async (t) => {
  const a = await app(t, { module: { memory: { min: 1 } } })
  await assert.rejects(verifyApp({ wasmFile: a.wasmFile, manifestFile: a.manifestFile }), { code: 'MEMORY_LIMIT', message: /has no maximum/ })
  const b = await app(t, { module: { memory: { min: 1, max: 65536 } } })
  await assert.rejects(verifyApp({ wasmFile: b.wasmFile, manifestFile: b.manifestFile }), {
    code: 'MEMORY_LIMIT',
    message: /4096 MiB, above this host's cap of 256 MiB/
  })
})

test('warns, without failing, when a module imports a host function its manifest does not grant', async (t) => {
  const a = await app(t, { module: { imports: [{ module: 'extism:host/user', name: 'hn_store_put' }], exports: ABI_EXPORTS } })
  const r = await auditApp({ wasmFile: a.wasmFile, manifestFile: a.manifestFile })
  assert.equal(r.ok, true, r.problem)
  assert.ok(r.checks.some((c) => c.warning && /grants no storage/.test(c.message)))
})

test('the audit report lists every failure, and its problem is the first', async (t) => {
  const a = await app(t, { draft: draftFor('echo', { expires: '2020-01-01T00:00:00Z' }) })
  await writeFile(a.wasmFile, buildModule({ salt: 'x' }))
  const r = await auditApp({ wasmFile: a.wasmFile, manifestFile: join(a.dir, 'echo.manifest.json') })
  assert.equal(r.ok, false)
  assert.equal(r.code, 'MANIFEST_EXPIRED')
  assert.deepEqual(
    r.checks.filter((c) => !c.ok).map((c) => c.code),
    ['MANIFEST_EXPIRED', 'CODE_HASH_MISMATCH']
  )
})
