import test from 'node:test'
import assert from 'node:assert/strict'
import { spawn } from 'node:child_process'
import { createSocket } from 'node:dgram'
import type { Socket as UdpSocket } from 'node:dgram'
import fsp from 'node:fs/promises'
import { syncBuiltinESMExports } from 'node:module'
import { connect } from 'node:net'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { ControlServer } from '../../host/control/control-server.ts'
import { silentLogger } from '../../host/log/logger.ts'
import { tempDir } from '../helpers/app-fixture.ts'
import { teardown } from '../helpers/teardown.ts'
import { cli, oneLine } from '../helpers/cli.ts'
import { freeUdpPort } from '../helpers/testnet.ts'

const BIN = fileURLToPath(new URL('../../bin/hypernet-host.js', import.meta.url))
/** A bootstrap address where nothing answers (the discard port, closed on loopback). */
const SILENT = '127.0.0.1:9'

function spawnCli(args: string[], defer: (fn: () => unknown) => void) {
  const child = spawn(process.execPath, [BIN, ...args], { stdio: ['ignore', 'pipe', 'pipe'] })
  const exited = new Promise<{ code: number | null; signal: string | null }>((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })))
  defer(async () => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL')
    await exited
  })
  const out = { stdout: '', stderr: '' }
  child.stdout.on('data', (d) => (out.stdout += d))
  child.stderr.on('data', (d) => (out.stderr += d))
  return { child, exited, out }
}

async function until(what: () => boolean | Promise<boolean>, tries = 400): Promise<void> {
  for (let i = 0; i < tries; i++) {
    if (await what()) return
    await new Promise((r) => setTimeout(r, 50))
  }
  throw new Error('condition never held')
}

const exists = (file: string) =>
  fsp.access(file).then(
    () => true,
    () => false
  )

test('start refuses a home whose control socket path is too long, leaves no socket, and the process exits 1', { timeout: 30_000 }, async (t) => {
  const defer = teardown(t)
  const tmp = await tempDir()
  defer(tmp.cleanup)
  const home = join(tmp.dir, 'h'.repeat(120 - tmp.dir.length))
  const { exited, out } = spawnCli(['--home', home, 'start', '--bootstrap', SILENT], defer)
  assert.deepEqual(await exited, { code: 1, signal: null })
  const socket = join(home, 'hypernet.sock')
  assert.equal(
    oneLine(out.stderr),
    `SOCKET_PATH_TOO_LONG: ${socket}: the control socket path must be at most 107 bytes (the Unix socket limit), this one is ${Buffer.byteLength(socket)}; choose a shorter --home or HYPERNET_HOME`
  )
  assert.deepEqual(
    (await fsp.readdir(tmp.dir)).filter((f) => f.includes('sock')),
    [],
    'no stray socket beside the home'
  )
})

test('ControlServer.ready() closes its listening server and removes the socket when chmod fails', { timeout: 30_000 }, async (t) => {
  const defer = teardown(t)
  const tmp = await tempDir()
  defer(tmp.cleanup)
  const path = join(tmp.dir, 'c.sock')
  const chmod = fsp.chmod
  fsp.chmod = async () => {
    throw Object.assign(new Error('EPERM: operation not permitted, chmod'), { code: 'EPERM' })
  }
  syncBuiltinESMExports()
  const server = new ControlServer(path, {}, silentLogger())
  try {
    await assert.rejects(server.ready(), { code: 'EPERM' })
  } finally {
    fsp.chmod = chmod
    syncBuiltinESMExports()
  }
  assert.equal(await exists(path), false)
  const refused = await new Promise<boolean>((resolve) => {
    const s = connect(path)
    s.once('connect', () => (s.destroy(), resolve(false)))
    s.once('error', () => resolve(true))
  })
  assert.equal(refused, true, 'nothing listens any more')
})

test('start --port N with N taken is ADDRESS_IN_USE, exit 2 (never a silent N+1)', { timeout: 30_000 }, async (t) => {
  const defer = teardown(t)
  const tmp = await tempDir()
  defer(tmp.cleanup)
  const busy: UdpSocket = createSocket('udp4')
  await new Promise<void>((resolve) => busy.bind(0, resolve))
  defer(() => new Promise<void>((resolve) => busy.close(() => resolve())))
  const port = busy.address().port
  const r = await cli(tmp.dir, ['start', '--bootstrap', SILENT, '--port', String(port), '-q'])
  assert.equal(r.code, 2, r.stderr)
  assert.equal(oneLine(r.stderr), `ADDRESS_IN_USE: --port: expected a free local UDP port, 0.0.0.0:${port} is already in use`)
  assert.equal(await exists(join(tmp.dir, 'hypernet.sock')), false, 'the control socket was closed too')
})

test('offline: start says it is waiting, SIGTERM during the wait stops it at once with exit 0', { timeout: 30_000 }, async (t) => {
  const defer = teardown(t)
  const tmp = await tempDir()
  defer(tmp.cleanup)
  const { child, exited, out } = spawnCli(['--home', tmp.dir, 'start', '--bootstrap', SILENT], defer)
  await until(() => out.stderr.includes('joining the DHT: waiting for a bootstrap node to answer (127.0.0.1:9)'))
  child.kill('SIGTERM')
  assert.deepEqual(await exited, { code: 0, signal: null })
  assert.doesNotMatch(out.stderr, /dht node ready/, 'the bootstrap was cut short, not waited out')
  assert.match(out.stderr, /stopping before the start finished/)
  assert.equal(await exists(join(tmp.dir, 'hypernet.sock')), false)
})

test('offline: status says no bootstrap node answered, and netcheck exits 1 TIMEOUT', { timeout: 60_000 }, async (t) => {
  const defer = teardown(t)
  const tmp = await tempDir()
  defer(tmp.cleanup)
  const { child, exited, out } = spawnCli(['--home', tmp.dir, 'start', '--bootstrap', SILENT], defer)
  await until(() => out.stdout.includes('Stop with'), 600)
  assert.match(out.stderr, /WARN +no bootstrap node answered: this host runs alone/)
  const st = await cli(tmp.dir, ['status'])
  assert.equal(st.code, 0, st.stderr)
  assert.match(st.stdout, /network {3}127\.0\.0\.1:9; no bootstrap node answered \(offline\? peers cannot reach this host\); firewalled; NAT unknown/)
  const json = JSON.parse((await cli(tmp.dir, ['status', '--json'])).stdout)
  assert.equal(json.network.answered, false)
  child.kill('SIGTERM')
  assert.deepEqual(await exited, { code: 0, signal: null })

  const nc = await cli(tmp.dir, ['netcheck', '--bootstrap', SILENT, '--timeout', '3'])
  assert.equal(nc.code, 1)
  assert.equal(oneLine(nc.stderr), 'TIMEOUT: netcheck: no DHT node answered within 3 s (check --bootstrap and that UDP is not blocked)')
})

test('offline: a one-shot lookup, connect or kv get says no DHT node answered, exit 1, after the bootstrap wait alone', { timeout: 60_000 }, async (t) => {
  const defer = teardown(t)
  const tmp = await tempDir()
  defer(tmp.cleanup)
  const hash = 'ab'.repeat(32)
  const expected = `TIMEOUT: no DHT node answered the bootstrap (${SILENT}): is this machine offline? check --bootstrap and that UDP is not blocked`
  const commands = [
    ['lookup', hash],
    ['connect', hash, '--timeout', '5'],
    ['kv', 'get', hash]
  ]
  const results = await Promise.all(commands.map((args) => cli(tmp.dir, [...args, '--bootstrap', SILENT])))
  results.forEach((r, i) => {
    assert.equal(r.code, 1, `${commands[i][0]}: ${r.stderr}`)
    assert.equal(oneLine(r.stderr), expected, commands[i][0])
  })
})

test("start --local --local-port N runs the embedded network's bootstrap node on N", { timeout: 60_000 }, async (t) => {
  const defer = teardown(t)
  const tmp = await tempDir()
  defer(tmp.cleanup)
  const port = await freeUdpPort()
  const { child, exited, out } = spawnCli(['--home', tmp.dir, 'start', '--local', '--local-relays', '0', '--local-port', String(port)], defer)
  await until(() => out.stdout.includes('Stop with'), 600)
  assert.match(out.stdout, new RegExp(`embedded local network: other hosts join with --bootstrap 127\\.0\\.0\\.1:${port}[ \\n]`))
  child.kill('SIGTERM')
  assert.deepEqual(await exited, { code: 0, signal: null })
})

test('start --local-port: a taken port is ADDRESS_IN_USE (exit 2), and it needs --local', { timeout: 60_000 }, async (t) => {
  const defer = teardown(t)
  const tmp = await tempDir()
  defer(tmp.cleanup)
  const busy: UdpSocket = createSocket('udp4')
  await new Promise<void>((resolve) => busy.bind(0, '127.0.0.1', resolve))
  defer(() => new Promise<void>((resolve) => busy.close(() => resolve())))
  const port = busy.address().port
  const r = await cli(tmp.dir, ['start', '--local', '--local-relays', '0', '--local-port', String(port), '-q'])
  assert.equal(r.code, 2, r.stderr)
  assert.equal(oneLine(r.stderr), `ADDRESS_IN_USE: --local-port: expected a free local UDP port, 127.0.0.1:${port} is already in use`)
  const alone = await cli(tmp.dir, ['start', '--local-port', '4000'])
  assert.equal(alone.code, 2)
  assert.equal(oneLine(alone.stderr), "USAGE: --local-port: this needs --local (it is the embedded network's bootstrap port)")
})
