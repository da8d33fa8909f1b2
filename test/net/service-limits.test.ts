import test from 'node:test'
import assert from 'node:assert/strict'
import DHT from 'hyperdht'
import type { SecretStream } from 'hyperdht'
import { installExamples } from '../../host/demo/install-examples.ts'
import { removeHome, startHost } from '../helpers/hosts.ts'
import type { TestHost } from '../helpers/hosts.ts'
import { tempDir } from '../helpers/app-fixture.ts'
import { startTestnet } from '../helpers/testnet.ts'
import { teardown } from '../helpers/teardown.ts'

/**
 * Clients on other loopback addresses (127.0.0.2, .3: Linux routes all of 127/8 to lo) stand in
 * for other machines, so limits per remote address can be told apart from limits per key.
 */

type Defer = (fn: () => unknown) => void

async function echoHost(
  defer: Defer,
  testnet: Awaited<ReturnType<typeof startTestnet>>,
  policy: Record<string, number>
): Promise<{ h: TestHost; key: Buffer; hash: string }> {
  const tmp = await tempDir('hn-limits-')
  defer(tmp.cleanup)
  await installExamples(tmp.dir, ['echo'])
  const h = await startHost(testnet, tmp.dir, { policy })
  defer(() => h.close())
  const svc = h.host.status().services.find((s) => s.app === 'echo')!
  return { h, key: Buffer.from(svc.key, 'hex'), hash: svc.hash }
}

function client(defer: Defer, testnet: Awaited<ReturnType<typeof startTestnet>>, host: string): DHT {
  const d = new DHT({ bootstrap: testnet.bootstrap, host })
  defer(() => d.destroy())
  return d
}

/** Connect with a throwaway key; resolves 'open' or 'closed' (turned away or failed). */
function connect(d: DHT, key: Buffer): Promise<{ s: SecretStream; result: 'open' | 'closed' }> {
  const s = d.connect(key, { keyPair: DHT.keyPair() })
  s.on('error', () => {})
  return new Promise((resolve) => {
    s.once('open', () => resolve({ s, result: 'open' }))
    s.once('close', () => resolve({ s, result: 'closed' }))
  })
}

async function echoes(s: SecretStream, text: string): Promise<boolean> {
  return new Promise((resolve) => {
    const timer = setTimeout(() => resolve(false), 5000)
    s.once('data', (d: Buffer) => {
      clearTimeout(timer)
      resolve(d.toString() === text)
    })
    s.once('close', () => resolve(false))
    s.write(text)
  })
}

async function until(cond: () => boolean, what: string): Promise<void> {
  for (let i = 0; i < 200 && !cond(); i++) await new Promise((r) => setTimeout(r, 50))
  assert.ok(cond(), what)
}

test(
  'one address filling a service with throwaway keys cannot lock other addresses out: its idlest connections are evicted',
  { timeout: 90_000 },
  async (t) => {
    const defer = teardown(t)
    const testnet = await startTestnet(10)
    defer(() => testnet.destroy())
    const { h, key, hash } = await echoHost(defer, testnet, { maxPerService: 12, idleMs: 0 })
    const attacker = client(defer, testnet, '127.0.0.2')
    const held: SecretStream[] = []
    for (let i = 0; i < 12; i++) {
      const c = await connect(attacker, key)
      assert.equal(c.result, 'open')
      held.push(c.s)
      defer(() => c.s.destroy())
    }
    await until(() => h.host.listener!.connections()[hash] === 12, 'the service is full')

    const legit = client(defer, testnet, '127.0.0.3')
    for (let i = 0; i < 5; i++) {
      const c = await connect(legit, key)
      defer(() => c.s.destroy())
      assert.equal(c.result, 'open', `legitimate client ${i} got in`)
      assert.ok(await echoes(c.s, `hello ${i}`), `legitimate client ${i} is served`)
    }
    assert.equal(h.host.listener!.refused.evicted, 5)
    assert.equal(held.filter((s) => s.destroyed).length, 5, 'the attacker lost five connections')
    assert.equal(h.host.listener!.connections()[hash], 12, 'never more than the cap')

    // the same address as the heaviest gets nobody evicted for it: it is turned away at once
    const again = await connect(attacker, key)
    assert.equal(again.result, 'closed')
    assert.equal(h.host.listener!.refused.perService, 1)
  }
)

test('limits per remote address hold whatever keys a client uses', { timeout: 60_000 }, async (t) => {
  const defer = teardown(t)
  const testnet = await startTestnet(10)
  defer(() => testnet.destroy())
  const { h, key } = await echoHost(defer, testnet, { maxPerAddress: 3, idleMs: 0 })
  const a = client(defer, testnet, '127.0.0.2')
  for (let i = 0; i < 3; i++) {
    const c = await connect(a, key)
    defer(() => c.s.destroy())
    assert.equal(c.result, 'open')
  }
  const fourth = a.connect(key, { keyPair: DHT.keyPair() })
  fourth.on('error', () => {})
  defer(() => fourth.destroy())
  await until(() => h.host.listener!.refused.perAddress >= 1, 'the fourth connection from one address is refused')
  const other = await connect(client(defer, testnet, '127.0.0.3'), key)
  defer(() => other.s.destroy())
  assert.equal(other.result, 'open', 'another address still gets in')
})

test('a connection that moves no data is closed after the idle timeout; a busy one stays', { timeout: 60_000 }, async (t) => {
  const defer = teardown(t)
  const testnet = await startTestnet(10)
  defer(() => testnet.destroy())
  const { h, key } = await echoHost(defer, testnet, { idleMs: 800 })
  const c = client(defer, testnet, '127.0.0.2')
  const quiet = await connect(c, key)
  const busy = await connect(c, key)
  defer(() => quiet.s.destroy())
  defer(() => busy.s.destroy())
  let echoed = 0
  busy.s.on('data', () => echoed++)
  const pinger = setInterval(() => busy.s.write('.'), 150)
  defer(() => clearInterval(pinger))
  await until(() => quiet.s.destroyed, 'the quiet connection was closed')
  assert.equal(busy.s.destroyed, false, 'the busy one stays open')
  const before = echoed
  await until(() => echoed > before + 3, 'and keeps being served')
  assert.ok(h.host.listener!.refused.idle >= 1)
  void removeHome
})

test('a manifest may ask for its own idle timeout; it is signed, shown at consent, and applied to its services', { timeout: 60_000 }, async (t) => {
  const { release } = await import('../helpers/releases.ts')
  const { generateKeyPair } = await import('../../host/manifest/signing.ts')
  const { describePermissions } = await import('../../host/audit/describe-permissions.ts')
  const { homeWith } = await import('../helpers/releases.ts')
  const defer = teardown(t)
  const testnet = await startTestnet(10)
  defer(() => testnet.destroy())
  const r = release(generateKeyPair(), { extra: { limits: { memoryMiB: 16, callTimeoutMs: 200, idleTimeoutMs: 1000 } } })
  assert.ok(describePermissions(r.manifest).some((p) => p.words.startsWith('keep a connection that moves no data open for 1 s')))
  const home = await homeWith([r])
  defer(() => removeHome(home))
  // the host's own default is long: only the app's 1 s can close the quiet connection
  const h = await startHost(testnet, home, { policy: { idleMs: 60_000 } })
  defer(() => h.close())
  const key = Buffer.from(h.host.status().services[0].key, 'hex')
  const quiet = await connect(client(defer, testnet, '127.0.0.2'), key)
  defer(() => quiet.s.destroy())
  assert.equal(quiet.result, 'open')
  await until(() => quiet.s.destroyed, "closed after the app's own idle timeout")
})
