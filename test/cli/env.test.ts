import test from 'node:test'
import assert from 'node:assert/strict'
import { tempDir } from '../helpers/app-fixture.ts'
import { teardown } from '../helpers/teardown.ts'
import { startTestnet } from '../helpers/testnet.ts'
import { cli, oneLine } from '../helpers/cli.ts'

/** Run with these variables set in this process, restoring them afterwards. */
async function withEnv<T>(env: Record<string, string>, fn: () => Promise<T>): Promise<T> {
  const saved = Object.fromEntries(Object.keys(env).map((k) => [k, process.env[k]]))
  Object.assign(process.env, env)
  try {
    return await fn()
  } finally {
    for (const [k, v] of Object.entries(saved)) {
      if (v === undefined) delete process.env[k]
      else process.env[k] = v
    }
  }
}

async function home(t: any): Promise<string> {
  const tmp = await tempDir()
  teardown(t)(tmp.cleanup)
  return tmp.dir
}

test('HYPERNET_DEBUG and unknown HYPERNET_* variables are never parsed as options', { timeout: 30_000 }, async (t) => {
  const dir = await home(t)
  const envs: Array<Record<string, string>> = [{ HYPERNET_DEBUG: '1' }, { HYPERNET_FROBNICATE: 'yes' }, { HYPERNET_FORCE: 'true' }]
  for (const env of envs) {
    const r = await withEnv(env, () => cli(dir, ['list']))
    assert.equal(r.code, 0, `${JSON.stringify(env)}: ${r.stderr}`)
    assert.equal(r.stderr, '')
    assert.match(r.stdout, /no apps installed/)
  }
})

test('HYPERNET_JSON=1 and HYPERNET_JSON=true both mean --json; --no-json overrides it', { timeout: 30_000 }, async (t) => {
  const dir = await home(t)
  for (const v of ['1', 'true', 'TRUE']) {
    const r = await withEnv({ HYPERNET_JSON: v }, () => cli(dir, ['list']))
    assert.equal(r.code, 0, r.stderr)
    assert.deepEqual(JSON.parse(r.stdout), [])
  }
  const off = await withEnv({ HYPERNET_JSON: '1' }, () => cli(dir, ['list', '--no-json']))
  assert.match(off.stdout, /no apps installed/)
  const zero = await withEnv({ HYPERNET_JSON: '0' }, () => cli(dir, ['list']))
  assert.match(zero.stdout, /no apps installed/)
})

test('a variable with a value that is not a boolean is a usage error naming it', { timeout: 30_000 }, async (t) => {
  const dir = await home(t)
  const r = await withEnv({ HYPERNET_JSON: 'maybe' }, () => cli(dir, ['list']))
  assert.equal(r.code, 2)
  assert.equal(oneLine(r.stderr), 'USAGE: HYPERNET_JSON: expected 1, true, yes, on, 0, false, no or off, got "maybe"')
})

test('HYPERNET_BOOTSTRAP stands for --bootstrap, and a bad one is named', { timeout: 60_000 }, async (t) => {
  const defer = teardown(t)
  const dir = await home(t)
  const bad = await withEnv({ HYPERNET_BOOTSTRAP: 'nonsense' }, () => cli(dir, ['netcheck', '--timeout', '1']))
  assert.equal(bad.code, 2)
  assert.equal(oneLine(bad.stderr), 'USAGE: HYPERNET_BOOTSTRAP: expected host:port[,host:port...], got "nonsense"')
  const testnet = await startTestnet()
  defer(() => testnet.destroy())
  const { host, port } = testnet.bootstrap[0]
  const r = await withEnv({ HYPERNET_BOOTSTRAP: `${host}:${port}` }, () => cli(dir, ['netcheck', '--json', '--timeout', '10']))
  assert.equal(r.code, 0, r.stderr + r.stdout)
  assert.equal(JSON.parse(r.stdout).bootstrapped, true)
})

test(
  'HYPERNET_LOG_LEVEL sets the daemon log level: a bad one is a usage error naming it, and commands that log nothing ignore it',
  { timeout: 30_000 },
  async (t) => {
    const dir = await home(t)
    const bad = await withEnv({ HYPERNET_LOG_LEVEL: 'noisy' }, () => cli(dir, ['start', '--bootstrap', '127.0.0.1:9']))
    assert.equal(bad.code, 2)
    assert.equal(oneLine(bad.stderr), 'USAGE: HYPERNET_LOG_LEVEL: expected one of debug, info, warn, error, got "noisy"')
    const list = await withEnv({ HYPERNET_LOG_LEVEL: 'noisy' }, () => cli(dir, ['list']))
    assert.equal(list.code, 0, list.stderr)
    assert.match(list.stdout, /no apps installed/)
  }
)
