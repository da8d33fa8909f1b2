import test from 'node:test'
import assert from 'node:assert/strict'
import { execFile } from 'node:child_process'
import { copyFile, mkdir, rm, symlink, utimes, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
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

test('the binary runs dist/ in a package, and in a checkout only while dist/ is newer than host/', async (t) => {
  const tmp = await tempDir()
  teardown(t)(tmp.cleanup)
  // a stand-in package: the real bin/, a dist/ and a host/ that each say which one ran
  const root = tmp.dir
  await writeFile(join(root, 'package.json'), '{ "type": "module" }\n')
  await mkdir(join(root, 'bin'))
  await copyFile(BIN, join(root, 'bin', 'hypernet-host.js'))
  await symlink(fileURLToPath(new URL('../../node_modules', import.meta.url)), join(root, 'node_modules'))
  const say = (what: string) => `export async function runCli() { process.stdout.write(${JSON.stringify(what)}); return 0 }\n`
  await mkdir(join(root, 'dist'))
  await writeFile(join(root, 'dist', 'cli.js'), say('dist'))
  await mkdir(join(root, 'host', 'cli'), { recursive: true })
  await writeFile(join(root, 'host', 'cli', 'main.ts'), say('source'))
  const which = async () => (await run(process.execPath, [join(root, 'bin', 'hypernet-host.js')])).stdout

  const old = new Date(Date.now() - 60_000)
  await utimes(join(root, 'dist', 'cli.js'), old, old)
  assert.equal(await which(), 'source', 'a file under host/ is newer than the build')
  await utimes(join(root, 'host', 'cli', 'main.ts'), new Date(old.getTime() - 60_000), new Date(old.getTime() - 60_000))
  assert.equal(await which(), 'dist', 'the build is newer than every source file')
  await rm(join(root, 'host'), { recursive: true })
  await utimes(join(root, 'dist', 'cli.js'), old, old)
  assert.equal(await which(), 'dist', 'a package has no host/: always the build')
})
