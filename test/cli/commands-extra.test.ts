import test from 'node:test'
import assert from 'node:assert/strict'
import { execFile } from 'node:child_process'
import { readFile } from 'node:fs/promises'
import { promisify } from 'node:util'
import { installExamples } from '../../host/demo/install-examples.ts'
import { tempDir } from '../helpers/app-fixture.ts'
import { teardown } from '../helpers/teardown.ts'
import { cli } from '../helpers/cli.ts'

const run = promisify(execFile)

async function home(t: any): Promise<string> {
  const tmp = await tempDir()
  teardown(t)(tmp.cleanup)
  return tmp.dir
}

test('version prints the host, ABI, HyperDHT, Extism and Node versions; --json for scripts', { timeout: 30_000 }, async (t) => {
  const dir = await home(t)
  const pkg = JSON.parse(await readFile(new URL('../../package.json', import.meta.url), 'utf8'))
  const json = await cli(dir, ['version', '--json'])
  assert.equal(json.code, 0, json.stderr)
  const v = JSON.parse(json.stdout)
  assert.equal(v.host, pkg.version)
  assert.deepEqual(v.abi, { current: 1, supported: [1] })
  assert.equal(v.hyperdht, pkg.dependencies.hyperdht)
  assert.equal(v.extism, pkg.dependencies['@extism/extism'])
  assert.equal(v.node, process.versions.node)
  const text = await cli(dir, ['version'])
  assert.match(text.stdout, new RegExp(`^hypernet-host  ${pkg.version}\nplugin ABI     1 \\(runs 1\\)\n`))
  assert.match(text.stdout, new RegExp(`extism         ${pkg.dependencies['@extism/extism']}\n`))
})

test('ls lists and rm uninstalls, as list and uninstall do', { timeout: 30_000 }, async (t) => {
  const dir = await home(t)
  await installExamples(dir, ['echo'])
  const ls = await cli(dir, ['ls', '--json'])
  assert.equal(ls.code, 0, ls.stderr)
  assert.deepEqual(
    JSON.parse(ls.stdout).map((a: { name: string }) => a.name),
    ['echo']
  )
  const rm = await cli(dir, ['rm', 'echo'])
  assert.equal(rm.code, 0, rm.stderr)
  assert.match(rm.stdout, /^uninstalled echo /)
  assert.deepEqual(JSON.parse((await cli(dir, ['list', '--json'])).stdout), [])
  const none = await cli(dir, ['rm'])
  assert.equal(none.code, 2)
  assert.equal(none.stderr, 'USAGE: uninstall: expected <app>, got nothing (see hypernet-host uninstall --help)\n')
})

/** What bash completes for the words typed so far (the last one being completed). */
async function complete(script: string, words: string[]): Promise<string[]> {
  const line = `${script}\nCOMP_WORDS=(${words.map((w) => JSON.stringify(w)).join(' ')}); COMP_CWORD=${words.length - 1}; _hypernet_host; printf '%s\\n' "\${COMPREPLY[@]}"`
  const { stdout } = await run('bash', ['-c', line])
  return stdout.split('\n').filter(Boolean)
}

test("completion bash completes commands, aliases, a command's options and its actions", { timeout: 30_000 }, async (t) => {
  const dir = await home(t)
  const r = await cli(dir, ['completion', 'bash'])
  assert.equal(r.code, 0, r.stderr)
  assert.match(r.stdout, /\ncomplete -o default -F _hypernet_host hypernet-host\n$/)
  assert.deepEqual(await complete(r.stdout, ['hypernet-host', 'st']), ['start', 'status', 'stop'])
  assert.deepEqual(await complete(r.stdout, ['hypernet-host', 'r']), ['restart', 'rm'])
  assert.deepEqual(await complete(r.stdout, ['hypernet-host', '--home', '/tmp/x', 'keys', 'g']), ['generate'])
  assert.deepEqual(await complete(r.stdout, ['hypernet-host', 'stop', '--no']), ['--no-wait'])
  assert.ok((await complete(r.stdout, ['hypernet-host', 'start', '--local-'])).includes('--local-port'))
})

test('completion zsh loads the same function through bashcompinit; another shell is a usage error', { timeout: 30_000 }, async (t) => {
  const dir = await home(t)
  const r = await cli(dir, ['completion', 'zsh'])
  assert.equal(r.code, 0, r.stderr)
  assert.match(r.stdout, /autoload -U \+X bashcompinit && bashcompinit\n/)
  assert.match(r.stdout, /complete -o default -F _hypernet_host hypernet-host/)
  const fish = await cli(dir, ['completion', 'fish'])
  assert.equal(fish.code, 2)
  assert.equal(fish.stderr, 'USAGE: completion: "fish" is not one of bash, zsh\n')
})
