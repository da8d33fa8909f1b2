import test from 'node:test'
import assert from 'node:assert/strict'
import { createSocket } from 'node:dgram'
import type { Socket } from 'node:dgram'
import { existsSync } from 'node:fs'
import { createServer } from 'node:net'
import { join } from 'node:path'
import { demoLine } from '../../host/cli/actions/demo.ts'
import { installExamples } from '../../host/demo/install-examples.ts'
import { tempDir } from '../helpers/app-fixture.ts'
import { teardown } from '../helpers/teardown.ts'
import { cli, oneLine } from '../helpers/cli.ts'

/** A UDP port held by this test until it ends. */
async function takenPort(t: any, host: string): Promise<number> {
  const socket: Socket = createSocket('udp4')
  await new Promise<void>((resolve) => socket.bind(0, host, resolve))
  teardown(t)(() => new Promise<void>((resolve) => socket.close(() => resolve())))
  return socket.address().port
}

test('start on a taken --local-port or --port fails before making anything in the home', { timeout: 60_000 }, async (t) => {
  const tmp = await tempDir()
  teardown(t)(tmp.cleanup)
  const home = join(tmp.dir, 'home')
  const local = await takenPort(t, '127.0.0.1')
  const r = await cli(home, ['start', '--local', '--local-port', String(local)])
  assert.match(oneLine(r.stderr), new RegExp(`^ADDRESS_IN_USE: --local-port: .*127\\.0\\.0\\.1:${local}`))
  assert.equal(r.code, 2)
  const port = await takenPort(t, '0.0.0.0')
  const p = await cli(home, ['start', '--local', '--port', String(port)])
  assert.match(oneLine(p.stderr), new RegExp(`^ADDRESS_IN_USE: --port: .*0\\.0\\.0\\.0:${port}`))
  assert.equal(p.code, 2)
  for (const made of ['host.key', 'logs', 'store']) assert.equal(existsSync(join(home, made)), false, `${made} was made`)
})

test('demo with a daemon running fails at once, before signing and installing the examples again', { timeout: 60_000 }, async (t) => {
  const tmp = await tempDir()
  teardown(t)(tmp.cleanup)
  // something answering on the control socket is what start and demo take for a running daemon
  const server = createServer((s) => s.destroy())
  await new Promise<void>((resolve) => server.listen(join(tmp.dir, 'hypernet.sock'), resolve))
  teardown(t)(() => new Promise<void>((resolve) => server.close(() => resolve())))
  const r = await cli(tmp.dir, ['demo'])
  assert.equal(oneLine(r.stderr), `DAEMON_RUNNING: ${join(tmp.dir, 'hypernet.sock')}: a daemon is already running for this home`)
  assert.equal(r.code, 1)
  assert.equal(r.stdout, '', 'nothing installed, nothing said')
  assert.equal(existsSync(join(tmp.dir, 'store')), false)
})

test('demo says "already installed" for an example left unchanged, not "installed"', { timeout: 60_000 }, async (t) => {
  const tmp = await tempDir()
  teardown(t)(tmp.cleanup)
  assert.deepEqual((await installExamples(tmp.dir, ['echo'])).map(demoLine), ['installed echo 0.1.0'])
  assert.deepEqual((await installExamples(tmp.dir, ['echo'])).map(demoLine), ['echo 0.1.0 already installed'])
})
