import test from 'node:test'
import assert from 'node:assert/strict'
import { execFile, spawn } from 'node:child_process'
import { copyFile, mkdir, readFile } from 'node:fs/promises'
import { createRequire } from 'node:module'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { promisify } from 'node:util'
import { tempDir } from '../helpers/app-fixture.ts'
import { teardown } from '../helpers/teardown.ts'

/**
 * The package as a user gets it: `npm pack` (which builds through `prepare`), installed into an
 * empty folder, run from there on Node alone. Development dependencies (tsx, esbuild, the
 * AssemblyScript compiler) must be neither installed nor reachable from the installed package.
 */

const run = promisify(execFile)
const ROOT = fileURLToPath(new URL('../../', import.meta.url))
const NPM = process.platform === 'win32' ? 'npm.cmd' : 'npm'

/** The environment of every child: no HYPERNET_* or NODE_OPTIONS from whoever runs the tests. */
function cleanEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {}
  for (const [k, v] of Object.entries(process.env)) if (!k.startsWith('HYPERNET_') && k !== 'NODE_OPTIONS') env[k] = v
  return { ...env, ...extra }
}

test('npm pack makes a package that installs into an empty folder and runs without tsx or esbuild', { timeout: 180_000 }, async (t) => {
  const defer = teardown(t)
  const tmp = await tempDir('hn-package-')
  defer(tmp.cleanup)

  // pack: `prepare` builds dist/ and the example plugins first
  const packed = await run(NPM, ['pack', '--json', '--pack-destination', tmp.dir], { cwd: ROOT, env: cleanEnv(), maxBuffer: 16 * 1024 * 1024 })
  const [info] = JSON.parse(packed.stdout.slice(packed.stdout.indexOf('['))) as Array<{ filename: string; files: Array<{ path: string }> }>
  const files = info.files.map((f) => f.path)
  for (const f of [
    'bin/hypernet-host.js',
    'dist/cli.js',
    'dist/plugin-worker.js',
    'build/plugins/echo.wasm',
    'manifests/echo.draft.json',
    'manifests/manifest.schema.json',
    'sdk/package.json',
    'web/index.html',
    'web/app.js',
    'web/style.css',
    'README.md'
  ]) {
    assert.ok(files.includes(f), `the package ships ${f}`)
  }
  const stray = files.filter((f) => /^(host|test|bench|scripts|plugins|build\/fixtures)\//.test(f) || f.endsWith('.tgz'))
  assert.deepEqual(stray, [], 'the package ships only what runs')

  // install as a user would; the registry is asked only for metadata missing from npm's cache
  const app = join(tmp.dir, 'app')
  await mkdir(app)
  await run(NPM, ['install', join(tmp.dir, info.filename), '--prefer-offline', '--no-audit', '--no-fund'], {
    cwd: app,
    env: cleanEnv(),
    maxBuffer: 16 * 1024 * 1024
  })
  const pkgDir = join(app, 'node_modules', 'hypernet-host')
  const fromPackage = createRequire(join(pkgDir, 'package.json'))
  for (const dev of ['tsx', 'esbuild', 'assemblyscript', 'binaryen', 'typescript']) {
    assert.throws(() => fromPackage.resolve(`${dev}/package.json`), { code: 'MODULE_NOT_FOUND' }, `${dev} is not reachable from the installed package`)
  }

  const bin = join(app, 'node_modules', '.bin', 'hypernet-host')
  const home = join(tmp.dir, 'home')
  const env = cleanEnv({ HYPERNET_HOME: home })
  const hn = async (args: string[]) => {
    try {
      const r = await run(process.execPath, [bin, ...args], { cwd: app, env })
      return { code: 0, ...r }
    } catch (err: any) {
      return { code: err.code as number, stdout: err.stdout as string, stderr: err.stderr as string }
    }
  }

  // 1. --help and --version
  const help = await hn(['--help'])
  assert.equal(help.code, 0, help.stderr)
  assert.match(help.stdout, /hypernet-host install/)
  assert.equal(help.stderr, '')
  const version = await hn(['--version'])
  assert.equal(version.stdout.trim(), JSON.parse(await readFile(join(ROOT, 'package.json'), 'utf8')).version)

  // 2. install an example app shipped in the package, signed by a key of our own
  const wasm = join(tmp.dir, 'echo.wasm')
  await copyFile(join(pkgDir, 'build', 'plugins', 'echo.wasm'), wasm)
  for (const args of [
    ['keys', 'generate'],
    ['sign', wasm, '--manifest', join(pkgDir, 'manifests', 'echo.draft.json')],
    ['install', wasm, '--yes']
  ]) {
    const r = await hn(args)
    assert.equal(r.code, 0, `${args.join(' ')}: ${r.stderr}`)
  }
  const list = await hn(['list'])
  assert.match(list.stdout, /echo/)

  // 3. start --local runs the installed app (the prebuilt plugin worker), then stops cleanly
  const child = spawn(process.execPath, [bin, 'start', '--local'], { cwd: app, env, stdio: ['ignore', 'pipe', 'pipe'] })
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)))
  defer(async () => {
    if (child.exitCode === null) child.kill('SIGKILL')
    await exited
  })
  let out = ''
  let err = ''
  child.stdout.on('data', (d) => (out += d))
  child.stderr.on('data', (d) => (err += d))
  for (let i = 0; i < 600 && !out.includes('Stop with') && child.exitCode === null; i++) await new Promise((r) => setTimeout(r, 50))
  assert.match(out, /host [0-9a-f]{64} running/, err)
  assert.match(out, /app echo 0\.1\.0: running/, err)
  const stop = await hn(['stop'])
  assert.equal(stop.code, 0, stop.stderr)
  assert.equal(await exited, 0, err)
  assert.doesNotMatch(err, /ExperimentalWarning|Error/)
})
