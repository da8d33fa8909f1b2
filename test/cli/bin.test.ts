import test from 'node:test'
import assert from 'node:assert/strict'
import { execFile } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import { promisify } from 'node:util'
import { tempDir } from '../helpers/app-fixture.ts'
import { teardown } from '../helpers/teardown.ts'

const run = promisify(execFile)
const BIN = fileURLToPath(new URL('../../bin/hypernet-host.js', import.meta.url))

async function bin(args: string[], env: Record<string, string> = {}): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await run(process.execPath, [BIN, ...args], { env: { ...process.env, ...env } })
    return { code: 0, stdout, stderr }
  } catch (err: any) {
    return { code: err.code, stdout: err.stdout, stderr: err.stderr }
  }
}

test('the installed binary prints help with every command and a clean stderr', { timeout: 30_000 }, async () => {
  const r = await bin(['--help'])
  assert.equal(r.code, 0)
  for (const c of ['keys', 'sign', 'audit', 'install', 'uninstall', 'list', 'trust']) assert.match(r.stdout, new RegExp(`hypernet-host ${c}`))
  assert.equal(r.stderr, '')
})

test('the binary exits with the documented code and one line on stderr', { timeout: 30_000 }, async (t) => {
  const tmp = await tempDir()
  teardown(t)(tmp.cleanup)
  const r = await bin(['audit', `${tmp.dir}/nothing.wasm`], { HYPERNET_HOME: tmp.dir })
  assert.equal(r.code, 2)
  assert.equal(r.stderr, `FILE_NOT_FOUND: ${tmp.dir}/nothing.wasm: wasm module not found\n`)
})
