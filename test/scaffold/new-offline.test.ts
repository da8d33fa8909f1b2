import assert from 'node:assert/strict'
import { execFile } from 'node:child_process'
import { mkdir, readFile, readdir, symlink } from 'node:fs/promises'
import { delimiter, join } from 'node:path'
import test from 'node:test'
import { fileURLToPath } from 'node:url'
import { promisify } from 'node:util'
import { hostCommand } from '../../host/cli/actions/new.ts'
import { tempDir } from '../helpers/app-fixture.ts'
import { teardown } from '../helpers/teardown.ts'

/**
 * `new`, `npm install` and `npm run build` on a machine with no network and an empty npm cache:
 * nothing is downloaded (the build uses this hypernet-host's AssemblyScript compiler), and the
 * hints `new` prints run this binary, never `npx` (which would ask the registry).
 */

const run = promisify(execFile)
const BIN = fileURLToPath(new URL('../../bin/hypernet-host.js', import.meta.url))
const NPM = process.platform === 'win32' ? 'npm.cmd' : 'npm'

test('new + npm install + npm run build work offline with an empty npm cache', { timeout: 120_000 }, async (t) => {
  const defer = teardown(t)
  const tmp = await tempDir('hn-new-offline-')
  defer(tmp.cleanup)
  const cache = join(tmp.dir, 'npm-cache')
  await mkdir(cache)
  const env: NodeJS.ProcessEnv = {}
  for (const [k, v] of Object.entries(process.env)) if (!k.startsWith('HYPERNET_') && !k.startsWith('npm_') && k !== 'NODE_OPTIONS') env[k] = v
  Object.assign(env, {
    HYPERNET_HOME: join(tmp.dir, 'home'),
    npm_config_offline: 'true',
    npm_config_cache: cache,
    npm_config_audit: 'false',
    npm_config_fund: 'false'
  })

  const project = join(tmp.dir, 'hello')
  const made = await run(process.execPath, [BIN, 'new', 'hello', '--dir', project], { cwd: tmp.dir, env })
  assert.doesNotMatch(made.stdout, /npx/, 'no hint that would ask the npm registry')
  const hn = hostCommand(BIN, env.PATH)
  assert.match(made.stdout, new RegExp(`\\n  ${hn.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')} sign build/hello\\.wasm --manifest hello\\.draft\\.json\\n`))
  assert.match(await readFile(join(project, 'README.md'), 'utf8'), /sign build\/hello\.wasm/)

  await run(NPM, ['install'], { cwd: project, env })
  await run(NPM, ['run', 'build'], { cwd: project, env })
  const bytes = await readFile(join(project, 'build', 'hello.wasm'))
  const module = new WebAssembly.Module(bytes)
  assert.ok(WebAssembly.Module.exports(module).some((e) => e.name === 'hn_on_start'))
  assert.ok(!(await readdir(join(project, 'node_modules'))).includes('assemblyscript'), 'no compiler installed into the project')
  // the printed steps work as written in this fresh home, from the project folder, outside the
  // repository (all but install, which asks for consent at a terminal: --yes stands in for it)
  const steps = made.stdout
    .split('or step by step')[1]
    .split('\n')
    .slice(1)
    .map((l) => l.trim())
    .filter(Boolean)
  assert.equal(steps.length, 4, made.stdout)
  assert.match(steps[0], /^cd .* && npm install && npm run build$/)
  assert.match(steps[1], / keys generate$/)
  assert.match(steps[2], / sign build\/hello\.wasm --manifest hello\.draft\.json$/)
  assert.match(steps[3], / install build\/hello\.wasm$/)
  for (const step of steps.slice(1, -1)) await run('/bin/sh', ['-c', step], { cwd: project, env })
  await run('/bin/sh', ['-c', `${steps.at(-1)} --yes`], { cwd: project, env })
  const again = await run(process.execPath, [BIN, 'new', 'again', '--dir', join(tmp.dir, 'again')], { cwd: tmp.dir, env })
  assert.doesNotMatch(again.stdout, /keys generate/, 'a home with a publisher key is not told to make one')
})

test('the hint names hypernet-host when that name on PATH is this binary, else its path', async (t) => {
  const defer = teardown(t)
  const tmp = await tempDir('hn-new-path-')
  defer(tmp.cleanup)
  assert.equal(hostCommand(BIN, '/nonexistent'), BIN)
  await symlink(BIN, join(tmp.dir, 'hypernet-host'))
  assert.equal(hostCommand(BIN, ['/nonexistent', tmp.dir].join(delimiter)), 'hypernet-host')
})
