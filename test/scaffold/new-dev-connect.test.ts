import assert from 'node:assert/strict'
import { execFile, spawn } from 'node:child_process'
import { mkdir } from 'node:fs/promises'
import { join } from 'node:path'
import test from 'node:test'
import { promisify } from 'node:util'
import { tempDir } from '../helpers/app-fixture.ts'
import { teardown } from '../helpers/teardown.ts'
import { BIN, startDaemonProcess } from '../helpers/daemon-process.ts'

/**
 * The author's loop, as the README tells it, on a machine with no network and an empty npm
 * cache: a host runs (start --local: an embedded 10-node DHT on loopback), then `new`, `dev`, and
 * `connect` from a second host (another home, joining with --bootstrap) gets the app's echo.
 * The loop's time goes to the test log; the target (30 s) is checked by reading it, not asserted.
 */

const run = promisify(execFile)

/** Run the CLI with `input` on stdin; resolves with its output once it exits 0. */
function withInput(args: string[], env: NodeJS.ProcessEnv, input: string): Promise<{ stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [BIN, ...args], { env, stdio: ['pipe', 'pipe', 'pipe'] })
    let stdout = ''
    let stderr = ''
    child.stdout.on('data', (d) => (stdout += d))
    child.stderr.on('data', (d) => (stderr += d))
    child.once('error', reject)
    child.once('exit', (code) => (code === 0 ? resolve({ stdout, stderr }) : reject(new Error(`${args.join(' ')} exited ${code}: ${stderr}`))))
    child.stdin.end(input)
  })
}

test('new, dev, then connect from a second host answer the echo, offline with an empty npm cache', { timeout: 180_000 }, async (t) => {
  const defer = teardown(t)
  const tmp = await tempDir('hn-new-dev-connect-')
  defer(tmp.cleanup)
  const cache = join(tmp.dir, 'npm-cache')
  await mkdir(cache)
  const base: NodeJS.ProcessEnv = {}
  for (const [k, v] of Object.entries(process.env)) if (!k.startsWith('HYPERNET_') && !k.startsWith('npm_') && k !== 'NODE_OPTIONS') base[k] = v
  Object.assign(base, { npm_config_offline: 'true', npm_config_cache: cache, npm_config_audit: 'false', npm_config_fund: 'false' })
  const here = { ...base, HYPERNET_HOME: join(tmp.dir, 'home') }
  const other = { ...base, HYPERNET_HOME: join(tmp.dir, 'other-home') }

  const { out: banner, exited } = await startDaemonProcess(['start', '--local', '--local-relays', '0'], defer, { env: here })
  const bootstrap = /--bootstrap (127\.0\.0\.1:\d+)/.exec(banner)?.[1]
  assert.ok(bootstrap, `the host printed its bootstrap address: ${banner}`)

  const started = performance.now()
  const project = join(tmp.dir, 'hello')
  await run(process.execPath, [BIN, 'new', 'hello', '--dir', project], { cwd: tmp.dir, env: here })
  const madeAt = performance.now()
  const dev = await run(process.execPath, [BIN, 'dev'], { cwd: project, env: here, maxBuffer: 16 * 1024 * 1024 })
  assert.match(dev.stdout, /the running daemon picked it up/)
  const hash = /\n {2}\S+ connect ([0-9a-z]{52,64})\n/.exec(dev.stdout)?.[1]
  assert.ok(hash, `dev printed how to connect: ${dev.stdout}`)
  const devAt = performance.now()

  const answer = await withInput(['connect', hash, '--bootstrap', bootstrap, '--timeout', '30'], other, 'hello from another host\n')
  const done = performance.now()
  assert.equal(answer.stdout, 'hello from another host\n')
  assert.match(answer.stderr, /connected to hello@0\.1\.0-dev\.\d+ hello on host/)

  const s = (ms: number) => `${(ms / 1000).toFixed(1)} s`
  t.diagnostic(`new + dev + connect: ${s(done - started)} (new ${s(madeAt - started)}, dev ${s(devAt - madeAt)}, connect ${s(done - devAt)}; target 30 s)`)

  await run(process.execPath, [BIN, 'stop'], { env: here })
  assert.equal(await exited, 0)
})
