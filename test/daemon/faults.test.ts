import test from 'node:test'
import assert from 'node:assert/strict'
import { mkdir, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import DHT from 'hyperdht'
import { installExamples } from '../../host/demo/install-examples.ts'
import { startTestnet } from '../helpers/testnet.ts'
import { teardown } from '../helpers/teardown.ts'
import { cli } from '../helpers/cli.ts'
import { tempDir } from '../helpers/app-fixture.ts'
import { openStream, plainClient, readBytes, startHost, testnetWithHost } from '../helpers/hosts.ts'

test('commands that need the daemon say so in one line and exit 3 when none runs', async (t) => {
  const tmp = await tempDir()
  teardown(t)(tmp.cleanup)
  for (const cmd of [['status'], ['stop'], ['restart', 'echo']]) {
    const r = await cli(tmp.dir, cmd)
    assert.equal(r.code, 3, cmd.join(' '))
    assert.match(r.stderr, /^DAEMON_UNREACHABLE: .*hypernet\.sock: no daemon is running \(start one with: hypernet-host start\)\n$/)
  }
})

test('a stale daemon socket is reported as stale, and a new daemon replaces it', async (t) => {
  const defer = teardown(t)
  const tmp = await tempDir()
  defer(tmp.cleanup)
  await mkdir(tmp.dir, { recursive: true })
  await writeFile(join(tmp.dir, 'hypernet.sock'), '')
  const r = await cli(tmp.dir, ['status'])
  assert.equal(r.code, 3)
  assert.match(r.stderr, /the socket is stale: no daemon answers on it/)
  const testnet = await startTestnet(10)
  defer(() => testnet.destroy())
  const h = await startHost(testnet, tmp.dir)
  defer(() => h.close())
  assert.equal((await cli(tmp.dir, ['status'])).code, 0)
  // a second daemon on the same home is refused
  const again = await cli(tmp.dir, ['start', '--bootstrap', `127.0.0.1:${testnet.bootstrap[0].port}`])
  assert.equal(again.code, 1)
  assert.match(again.stderr, /^DAEMON_RUNNING: /)
})

test('status shows the host, its network, apps and advertised services', { timeout: 60_000 }, async (t) => {
  const defer = teardown(t)
  const { home } = await testnetWithHost(defer, ['echo'])
  const tmp = { dir: home }
  const st = JSON.parse((await cli(tmp.dir, ['status', '--json'])).stdout)
  assert.match(st.host.key, /^[0-9a-f]{64}$/)
  assert.equal(st.network.bootstrapped, true)
  assert.equal(typeof st.network.firewalled, 'boolean')
  assert.equal(st.apps[0].name, 'echo')
  assert.equal(st.apps[0].state, 'running')
  assert.equal(st.services[0].service, 'echo')
  assert.ok(st.services[0].lastRefresh, 'advertised')
  const text = (await cli(tmp.dir, ['status'])).stdout
  assert.match(text, /^host {6}[0-9a-f]{8}…[0-9a-f]{4} {2}\(pid/)
  assert.match((await cli(tmp.dir, ['status', '--full'])).stdout, /^host {6}[0-9a-f]{64} {2}\(pid/)
  assert.match(text, /echo {7}0\.1\.0 {4}running/)
})

test('connection limits and the firewall deny list refuse peers, and the refusals are counted', async (t) => {
  const defer = teardown(t)
  const { testnet, home, h } = await testnetWithHost(defer, ['echo'])
  const tmp = { dir: home }
  const key = h.host.status().services[0].key
  const policy = h.host.listener!.policy
  policy.maxPerPeer = 1
  const kp = DHT.keyPair()
  const dht = plainClient(testnet, kp)
  defer(() => dht.destroy())
  const first = await openStream(dht, key, kp)
  // a refused peer hears nothing (hyperdht's firewall stays silent): watch the counter
  await refusedBy(
    () => h.host.status().refused.perPeer >= 1,
    () => dht.connect(Buffer.from(key, 'hex'), { keyPair: kp })
  )
  first.write(Buffer.from('still served'))
  assert.equal((await readBytes(first, 12)).toString(), 'still served')
  first.destroy()
  const banned = DHT.keyPair()
  const fw = await cli(tmp.dir, ['firewall', 'deny', banned.publicKey.toString('hex'), '--json'])
  assert.equal(JSON.parse(fw.stdout).daemon, 'applied')
  await refusedBy(
    () => h.host.status().refused.denied >= 1,
    () => dht.connect(Buffer.from(key, 'hex'), { keyPair: banned })
  )
})

test('an app that no longer verifies on disk is not started, and status says why', async (t) => {
  const defer = teardown(t)
  const testnet = await startTestnet(10)
  defer(() => testnet.destroy())
  const tmp = await tempDir()
  defer(tmp.cleanup)
  const [out] = await installExamples(tmp.dir, ['echo'])
  await writeFile(join(tmp.dir, 'store', 'apps', out.app.folder ?? out.app.codeHash, 'app.wasm'), Buffer.from('tampered'))
  const h = await startHost(testnet, tmp.dir)
  defer(() => h.close())
  const st = h.host.status()
  assert.equal(st.apps[0].state, 'invalid')
  assert.match(st.apps[0].error!, /WASM_INVALID|CODE_HASH_MISMATCH/)
  assert.equal(st.services.length, 0)
})

test('chat rooms on two hosts hear each other through their mesh', { timeout: 60_000 }, async (t) => {
  const defer = teardown(t)
  const testnet = await startTestnet(10)
  defer(() => testnet.destroy())
  const homes = [await tempDir(), await tempDir()]
  for (const h of homes) defer(h.cleanup)
  await installExamples(homes[0].dir, ['chat'])
  await installExamples(homes[1].dir, ['chat'])
  const a = await startHost(testnet, homes[0].dir)
  defer(() => a.close())
  const b = await startHost(testnet, homes[1].dir)
  defer(() => b.close())
  const keyA = a.host.status().services[0].key
  const keyB = b.host.status().services[0].key
  const dht = plainClient(testnet)
  defer(() => dht.destroy())
  const alice = await openStream(dht, keyA)
  const bob = await openStream(dht, keyB)
  // the rooms meet once both joined the mesh: keep talking until a line crosses
  let got = ''
  bob.on('data', (d: Buffer) => (got += d.toString()))
  for (let i = 0; i < 100 && !got.includes('hello from a'); i++) {
    alice.write(`hello from a ${i}\n`)
    await new Promise((r) => setTimeout(r, 100))
  }
  assert.match(got, /hello from a/)
  alice.destroy()
  bob.destroy()
})

/**
 * Attempt connections until the host counts a refusal. A handshake can be lost on a loaded
 * machine (UDP on loopback still drops), so a silent attempt is retried a few times.
 */
async function refusedBy(counted: () => boolean, attempt: () => { on(e: string, f: () => void): unknown; destroy(): void }): Promise<void> {
  let opened = false
  for (let tries = 0; tries < 4 && !counted(); tries++) {
    const a = attempt()
    a.on('error', () => {})
    a.on('open', () => (opened = true))
    for (let i = 0; i < 200 && !counted(); i++) await new Promise((r) => setTimeout(r, 25))
    a.destroy()
  }
  assert.ok(counted(), 'the refusal was counted')
  assert.equal(opened, false, 'the refused connection never opened')
}
