import test from 'node:test'
import assert from 'node:assert/strict'
import { spawn } from 'node:child_process'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import DHT from 'hyperdht'
import { startTestnet } from '../helpers/testnet.ts'
import { tempDir } from '../helpers/app-fixture.ts'
import { teardown } from '../helpers/teardown.ts'

/**
 * `connect` as a process whose stdin stays open (a script still writing into the pipe): when the
 * connection ends, the process exits. It used to keep reading stdin and never exit, which a
 * host whose address changed mid-session showed (test/net/fleet.test.ts).
 */

const REPO = fileURLToPath(new URL('../../', import.meta.url))
const BIN = join(REPO, 'bin', 'hypernet-host.js')

async function session(t: test.TestContext, onConnection: (s: any) => void): Promise<{ code: number | null; out: string; err: string }> {
  const defer = teardown(t)
  const testnet = await startTestnet()
  defer(() => testnet.destroy())
  const tmp = await tempDir('hn-connect-stdin-')
  defer(tmp.cleanup)
  const node = new DHT({ bootstrap: testnet.bootstrap })
  defer(() => node.destroy())
  const server = node.createServer({}, (s: any) => {
    s.on('error', () => {})
    onConnection(s)
  })
  const keyPair = DHT.keyPair()
  await server.listen(keyPair)
  defer(() => server.close())
  const child = spawn(
    process.execPath,
    [BIN, '--home', tmp.dir, 'connect', keyPair.publicKey.toString('hex'), '--timeout', '20', '--bootstrap', `127.0.0.1:${testnet.bootstrap[0].port}`],
    {
      cwd: REPO
    }
  )
  let out = ''
  let err = ''
  child.stdout.on('data', (d) => (out += d))
  child.stderr.on('data', (d) => (err += d))
  child.stdin.write('first line\n') // and stdin stays open
  // bounded: a process that never exits fails here, not by the test runner's timeout
  const timer = setTimeout(() => child.kill('SIGKILL'), 60_000)
  const code = await new Promise<number | null>((resolve) => child.once('exit', (c) => resolve(c)))
  clearTimeout(timer)
  child.stdin.destroy()
  return { code, out, err }
}

test('connect exits 0 when the peer ends the connection, with stdin still open', async (t) => {
  const r = await session(t, (s) => s.once('data', (d: Buffer) => s.end(d)))
  assert.equal(r.code, 0, r.err)
  assert.equal(r.out, 'first line\n')
})

test('connect exits 1 with the error when the connection fails, with stdin still open', async (t) => {
  const r = await session(t, (s) => s.once('data', () => s.destroy(new Error('gone'))))
  assert.equal(r.code, 1, 'it exited by itself, with the error')
  assert.match(r.err, /^CONNECTION_FAILED: the connection failed: connection reset by peer$/m)
})
