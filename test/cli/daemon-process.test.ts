import test from 'node:test'
import assert from 'node:assert/strict'
import { spawn } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import { installExamples } from '../../host/demo/install-examples.ts'
import { tempDir } from '../helpers/app-fixture.ts'
import { teardown } from '../helpers/teardown.ts'
import { cli } from '../helpers/cli.ts'

const BIN = fileURLToPath(new URL('../../bin/hypernet-host.js', import.meta.url))

test('start --local runs a daemon process that status, lookup, connect and stop reach', async (t) => {
  const defer = teardown(t)
  const tmp = await tempDir()
  defer(tmp.cleanup)
  await installExamples(tmp.dir, ['echo'])
  const child = spawn(process.execPath, [BIN, '--home', tmp.dir, 'start', '--local'], { stdio: ['ignore', 'pipe', 'pipe'] })
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)))
  defer(async () => {
    if (child.exitCode === null) child.kill('SIGKILL')
    await exited
  })
  let out = ''
  child.stdout.on('data', (d) => (out += d))
  for (let i = 0; i < 300 && !out.includes('Stop with'); i++) await new Promise((r) => setTimeout(r, 50))
  assert.match(out, /embedded local network: other hosts join with --bootstrap 127\.0\.0\.1:\d+/)
  const hash = /lookup ([0-9a-f]{64})/.exec(out)![1]

  const st = await cli(tmp.dir, ['status', '--json'])
  assert.equal(st.code, 0, st.stderr)
  assert.equal(JSON.parse(st.stdout).apps[0].state, 'running')
  const look = await cli(tmp.dir, ['lookup', hash, '--timeout', '5'])
  assert.equal(look.code, 0, look.stderr)
  assert.match(look.stdout, /echo@0\.1\.0 {2}echo:7/)

  const stop = await cli(tmp.dir, ['stop'])
  assert.equal(stop.code, 0)
  assert.equal(await exited, 0)
  assert.equal((await cli(tmp.dir, ['status'])).code, 3)
})

test('SIGTERM stops the daemon cleanly and removes its socket', async (t) => {
  const defer = teardown(t)
  const tmp = await tempDir()
  defer(tmp.cleanup)
  const child = spawn(process.execPath, [BIN, '--home', tmp.dir, 'start', '--local', '-q'], { stdio: ['ignore', 'pipe', 'pipe'] })
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)))
  defer(async () => {
    if (child.exitCode === null) child.kill('SIGKILL')
    await exited
  })
  for (let i = 0; i < 300 && (await cli(tmp.dir, ['status'])).code !== 0; i++) await new Promise((r) => setTimeout(r, 50))
  child.kill('SIGTERM')
  assert.equal(await exited, 0)
  const r = await cli(tmp.dir, ['status'])
  assert.equal(r.code, 3)
  assert.match(r.stderr, /no daemon is running/)
})
