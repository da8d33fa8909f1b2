import assert from 'node:assert/strict'
import { execFile } from 'node:child_process'
import { mkdir, readFile } from 'node:fs/promises'
import { join } from 'node:path'
import test from 'node:test'
import { fileURLToPath } from 'node:url'
import { promisify } from 'node:util'
import { tempDir } from '../helpers/app-fixture.ts'
import { teardown } from '../helpers/teardown.ts'

/**
 * `dev` in a project made by `new`, offline with an empty npm cache: builds, signs with the
 * development key `dev` (made on first use), installs into the home, prints how to connect; run
 * again after an edit, it installs the new build as an upgrade.
 */

const run = promisify(execFile)
const BIN = fileURLToPath(new URL('../../bin/hypernet-host.js', import.meta.url))

test('dev builds, signs with the dev key, installs and says how to reach it; again after an edit', { timeout: 180_000 }, async (t) => {
  const defer = teardown(t)
  const tmp = await tempDir('hn-dev-')
  defer(tmp.cleanup)
  const cache = join(tmp.dir, 'npm-cache')
  await mkdir(cache)
  const home = join(tmp.dir, 'home')
  const env: NodeJS.ProcessEnv = {}
  for (const [k, v] of Object.entries(process.env)) if (!k.startsWith('HYPERNET_') && !k.startsWith('npm_') && k !== 'NODE_OPTIONS') env[k] = v
  Object.assign(env, { HYPERNET_HOME: home, npm_config_offline: 'true', npm_config_cache: cache })
  const hn = (args: string[], cwd: string) => run(process.execPath, [BIN, ...args], { cwd, env, maxBuffer: 16 * 1024 * 1024 })

  const project = join(tmp.dir, 'hello')
  await hn(['new', 'hello', '--dir', project], tmp.dir)
  const first = await hn(['dev'], project)
  assert.match(first.stderr, /with the development key "dev" \([0-9a-z]+\): for testing; no other host trusts it/)
  assert.match(first.stdout, /installed hello 0\.1\.0-dev\.\d+/)
  assert.match(first.stdout, /\n {2}\S+ connect [0-9a-z]{52,64}\n/)
  assert.doesNotMatch(first.stderr, /requesting|privileges|not trusted/, 'dev asks nothing, so it lists no consent block')
  assert.doesNotMatch(first.stdout, /new service hash/, 'a first build has no earlier hash')
  const key = JSON.parse(await readFile(join(home, 'keys', 'dev.key'), 'utf8'))
  const trusted = await hn(['trust', 'list', '--json'], project)
  assert.ok(!trusted.stdout.includes(key.publicKey), 'the dev key is not trusted, even here')

  const listed = JSON.parse((await hn(['list', '--json'], project)).stdout)
  const app = (listed.apps ?? listed).find((a: any) => a.name === 'hello')
  assert.ok(app, 'installed into the home')

  // an edit, then dev again: a new build installs over the last as an upgrade
  const src = join(project, 'assembly', 'index.ts')
  await import('node:fs/promises').then(async (fs) => fs.writeFile(src, (await fs.readFile(src, 'utf8')).replace('started"', 'started again"')))
  const second = await hn(['dev'], project)
  assert.match(second.stdout, /hello 0\.1\.0-dev\.\d+/)
  assert.doesNotMatch(second.stderr, /requesting|privileges|not trusted/)
  // the code hash is part of the service hash: the rebuild says the old connect line is stale
  assert.match(second.stdout, /\nnew service hash: it changes with every rebuild .*no longer reaches it\n/)
  const hashOf = (out: string) => /connect ([0-9a-z]{52,64})\n/.exec(out)![1]
  assert.notEqual(hashOf(second.stdout), hashOf(first.stdout))
  const after = JSON.parse((await hn(['list', '--json'], project)).stdout)
  const app2 = (after.apps ?? after).find((a: any) => a.name === 'hello')
  assert.notEqual(app2.codeHash, app.codeHash, 'the new build is what is installed')
})
