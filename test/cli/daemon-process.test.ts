import test from 'node:test'
import assert from 'node:assert/strict'
import { spawn } from 'node:child_process'
import { installExamples } from '../../host/demo/install-examples.ts'
import { tempDir } from '../helpers/app-fixture.ts'
import { teardown } from '../helpers/teardown.ts'
import { cli } from '../helpers/cli.ts'
import { BIN, startDaemonProcess } from '../helpers/daemon-process.ts'
import type { DaemonProcess } from '../helpers/daemon-process.ts'

/** Run `hypernet-host --home <home> <args>` until its banner is out. */
function startDaemon(home: string, args: string[], defer: (fn: () => unknown) => void): Promise<DaemonProcess> {
  return startDaemonProcess(['--home', home, ...args], defer, { timeoutMs: 15_000 })
}

test('start --local runs a daemon process that status, lookup, connect and stop reach', { timeout: 120_000 }, async (t) => {
  const defer = teardown(t)
  const tmp = await tempDir()
  defer(tmp.cleanup)
  await installExamples(tmp.dir, ['echo'])
  const { out, exited } = await startDaemon(tmp.dir, ['start', '--local'], defer)
  assert.match(out, /embedded local network: other hosts join with --bootstrap 127\.0\.0\.1:\d+/)
  const hash = /lookup ([0-9a-f]{64})/.exec(out)![1]

  const st = await cli(tmp.dir, ['status', '--json'])
  assert.equal(st.code, 0, st.stderr)
  assert.equal(JSON.parse(st.stdout).apps[0].state, 'running')
  // at a glance: short keys and hashes, lines that fit a terminal; --full for the whole forms
  const text = (await cli(tmp.dir, ['status'])).stdout
  for (const line of text.trimEnd().split('\n')) assert.ok(line.length <= 120, `a ${line.length}-character line: ${line}`)
  assert.match(text, new RegExp(`echo/echo +port 7 +hash ${hash.slice(0, 8)}…${hash.slice(-4)}  key [0-9a-f]{8}…[0-9a-f]{4}  conns`))
  assert.match((await cli(tmp.dir, ['status', '--full'])).stdout, new RegExp(`hash ${hash}  key [0-9a-f]{64}`))
  const look = await cli(tmp.dir, ['lookup', hash, '--timeout', '5'])
  assert.equal(look.code, 0, look.stderr)
  assert.match(look.stdout, /echo@0\.1\.0 {2}echo:7/)
  // the embedded network runs onion relays of its own: an anonymous connection needs nothing else
  assert.match(out, /with 6 onion relays: connect --anonymous and hidden services work here/)
  const anon = await cli(tmp.dir, ['connect', '--anonymous', hash, '--timeout', '10'], { answer: 'hello through local relays' })
  assert.equal(anon.code, 0, anon.stderr)
  assert.equal(anon.stdout, 'hello through local relays\n')

  const stop = await cli(tmp.dir, ['stop'])
  assert.equal(stop.code, 0)
  assert.equal(await exited, 0)
  assert.equal((await cli(tmp.dir, ['status'])).code, 3)
})

test('SIGTERM stops the daemon cleanly and removes its socket', { timeout: 120_000 }, async (t) => {
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

test('start --local --hidden runs echo as a hidden service that connect --hidden reaches', { timeout: 120_000 }, async (t) => {
  const defer = teardown(t)
  const tmp = await tempDir()
  defer(tmp.cleanup)
  await installExamples(tmp.dir, ['echo'])
  const { out, exited } = await startDaemon(tmp.dir, ['start', '--local', '--hidden', 'echo'], defer)
  const key = /hidden service echo\/echo\n {4}key {2}([0-9a-f]{64})/.exec(out)![1]
  assert.doesNotMatch(out, /service echo\/echo port/, 'no public service is printed')
  // the service publishes its descriptor once it holds its introduction points
  for (let i = 0; i < 200; i++) {
    const st = JSON.parse((await cli(tmp.dir, ['status', '--json'])).stdout)
    if (st.hidden?.[0]?.published) break
    await new Promise((r) => setTimeout(r, 50))
  }
  const text = await cli(tmp.dir, ['status'])
  assert.match(
    text.stdout,
    new RegExp(`hidden services \\(reach with: hypernet-host connect --hidden <key>\\)\n  echo/echo +key ${key}  intro points 3, published`)
  )
  const r = await cli(tmp.dir, ['connect', '--hidden', key, '--timeout', '15'], { answer: 'hello, hidden' })
  assert.equal(r.code, 0, r.stderr)
  assert.equal(r.stdout, 'hello, hidden\n')
  assert.equal((await cli(tmp.dir, ['stop'])).code, 0)
  assert.equal(await exited, 0)
})

test('--local-relays needs --local and a count from 0 to 16', { timeout: 120_000 }, async (t) => {
  const defer = teardown(t)
  const tmp = await tempDir()
  defer(tmp.cleanup)
  const alone = await cli(tmp.dir, ['start', '--local-relays', '2'])
  assert.equal(alone.code, 2)
  assert.equal(alone.stderr.trim(), 'USAGE: --local-relays: this needs --local (relays on a real network are hosts started with --onion-relay)')
  const many = await cli(tmp.dir, ['start', '--local', '--local-relays', '99'])
  assert.equal(many.code, 2)
  assert.equal(many.stderr.trim(), 'USAGE: --local-relays: expected a whole number from 0 to 16, got 99')
})

test('stop returns only once the daemon process has exited; --no-wait returns at once', { timeout: 60_000 }, async (t) => {
  const defer = teardown(t)
  const tmp = await tempDir()
  defer(tmp.cleanup)
  for (const wait of [true, false]) {
    const child = spawn(process.execPath, [BIN, '--home', tmp.dir, 'start', '--local', '--local-relays', '0', '-q'], { stdio: ['ignore', 'pipe', 'pipe'] })
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)))
    defer(async () => {
      if (child.exitCode === null) child.kill('SIGKILL')
      await exited
    })
    for (let i = 0; i < 300 && (await cli(tmp.dir, ['status'])).code !== 0; i++) await new Promise((r) => setTimeout(r, 50))
    const r = await cli(tmp.dir, wait ? ['stop', '--json'] : ['stop', '--no-wait', '--json'])
    assert.equal(r.code, 0, r.stderr)
    if (wait) {
      assert.deepEqual(JSON.parse(r.stdout), { stopped: true, pid: child.pid })
      assert.equal(child.exitCode, 0, 'the daemon had exited when stop returned')
    } else {
      assert.deepEqual(JSON.parse(r.stdout), { stopping: true, pid: child.pid })
    }
    assert.equal(await exited, 0)
  }
})
