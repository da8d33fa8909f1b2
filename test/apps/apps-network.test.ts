import test from 'node:test'
import assert from 'node:assert/strict'
import { readdir } from 'node:fs/promises'
import { join } from 'node:path'
import { AppsSession, AutoUpgrader, ServingStore, installFromNetwork, installRelease } from '../../host/apps/index.ts'
import { homePaths } from '../../host/home.ts'
import { generateKeyPair } from '../../host/manifest/signing.ts'
import { serviceHash } from '../../host/manifest/hashes.ts'
import { createAppStore } from '../../host/store/app-store.ts'
import { TrustStore } from '../../host/store/trust-store.ts'
import { silentLogger } from '../../host/log/logger.ts'
import { cli } from '../helpers/cli.ts'
import { formatStatus } from '../../host/cli/actions/daemon.ts'
import { plainClient, removeHome, startHost } from '../helpers/hosts.ts'
import type { TestHost } from '../helpers/hosts.ts'
import { homeWith, release } from '../helpers/releases.ts'
import type { Release } from '../helpers/releases.ts'
import { startTestnet } from '../helpers/testnet.ts'
import { teardown } from '../helpers/teardown.ts'

const yes = async () => true

test('apps travel the network: install, audit and upgrade by hash, with every byte checked', { timeout: 240_000 }, async (t) => {
  const defer = teardown(t)
  const testnet = await startTestnet(10)
  defer(() => testnet.destroy())
  const bootstrap = testnet.bootstrap.map((b) => `${b.host}:${b.port}`)

  const P = generateKeyPair()
  const v1 = release(P, { version: '0.1.0' })
  const secret = release(P, { name: 'secret', tag: 'secret', extra: { redistribute: false } })
  const big = release(P, { name: 'big', tag: 'big', bytes: 16 * 1024 * 1024 })

  const hosts: TestHost[] = []
  const host = async (releases: Release[], init = {}) => {
    const home = await homeWith(releases)
    defer(() => removeHome(home))
    const h = await startHost(testnet, home, init)
    defer(() => h.close())
    hosts.push(h)
    return h
  }
  const A = await host([v1, secret, big])
  const client = plainClient(testnet)
  defer(() => client.destroy())
  await client.ready()
  const freshStore = async () => {
    const home = await homeWith([])
    defer(() => removeHome(home))
    const store = createAppStore({ dir: homePaths(home).store })
    await store.ready()
    return { home, store }
  }

  await t.test('install by service hash through the CLI, from a host that runs it', async () => {
    const { home } = await freshStore()
    const r = await cli(home, ['install', serviceHash(v1.codeHash, 'echo').toString('hex'), '--yes', '--bootstrap', ...bootstrap])
    assert.equal(r.code, 0, r.stderr)
    assert.match(r.stdout, /^installed echo 0\.1\.0 \(code hash [0-9a-f]{64}\)/)
    assert.match(r.stdout, /code hash verified/)
    assert.match(r.stderr, /found on 1 host/, 'the consent text says how many hosts run it')
    const list = await cli(home, ['list', '--json'])
    assert.equal(JSON.parse(list.stdout)[0].codeHash, v1.codeHash)
  })

  await t.test('a remote audit of an app nobody here installed says what it may do and who runs it', async () => {
    const { home } = await freshStore()
    const r = await cli(home, ['audit', v1.codeHash, '--json', '--bootstrap', ...bootstrap])
    assert.equal(r.code, 0, r.stderr)
    const report = JSON.parse(r.stdout)
    assert.equal(report.ok, true)
    assert.equal(report.app.name, 'echo')
    assert.deepEqual(report.hosts, [A.host.status().host.key])
    assert.ok(report.checks.some((c: any) => c.name === 'code-hash' && c.ok))
    assert.deepEqual(await readdir(homePaths(home).store + '/apps'), [], 'an audit installs nothing')
  })

  await t.test('a vendor that flips a byte is reported by key and dropped; the honest vendor is used', async () => {
    const T = await host([v1])
    const server = T.host.appServer as any
    const honest = server.c.app
    server.c.app = (h: string) => {
      const a = honest(h)
      if (!a) return a
      const wasm = Buffer.from(a.wasm)
      wasm[wasm.length - 1] ^= 1
      return { ...a, wasm }
    }
    const { store } = await freshStore()
    const problems: string[] = []
    const tk = T.host.status().host.key
    // the tampering vendor alone: refused, and nothing half-fetched is left in the store
    await assert.rejects(installRelease({ dht: client, store, trusted: new Set() }, v1.codeHash, [tk], { consent: yes }), { code: 'FETCH_FAILED' })
    assert.deepEqual(await readdir(join(store.dir, 'apps')), [])
    assert.deepEqual(await readdir(join(store.dir, 'staging')), [])
    const r = await installRelease({ dht: client, store, trusted: new Set() }, v1.codeHash, [tk, A.host.status().host.key], {
      consent: yes,
      onProblem: (l) => problems.push(l)
    })
    assert.equal(r.status, 'installed')
    assert.equal(r.app.codeHash, v1.codeHash)
    assert.equal(problems.length, 1)
    assert.match(problems[0], new RegExp(`vendor ${tk} sent bytes that do not match`))
    await T.close()
  })

  await t.test('a 16 MiB module is fetched with progress and verified', async () => {
    const { store } = await freshStore()
    const progress: number[] = []
    const r = await installFromNetwork(
      { dht: client, store, trusted: new Set() },
      { hash: Buffer.from(big.codeHash, 'hex'), consent: yes, onProgress: (got) => progress.push(got) }
    )
    assert.equal(r.status, 'installed')
    assert.equal(r.release.size, big.wasm.length)
    assert.ok(progress.length >= 16, `progress reported ${progress.length} times`)
    assert.ok(
      progress.every((p, i) => i === 0 || p > progress[i - 1]),
      'progress only grows'
    )
    assert.equal(progress.at(-1), big.wasm.length)
  })

  await t.test('serving refused when the operator turns it off, for all apps or one, and when the publisher forbids it', async () => {
    const session = await AppsSession.open(client, A.host.identity!.publicKey)
    defer(() => session.close())
    await assert.rejects(session.getManifest(Buffer.from(secret.codeHash, 'hex')), { code: 'NOT_REDISTRIBUTABLE' })
    const serving = new ServingStore(homePaths(A.home).serving)
    await serving.set(false, 'echo')
    await assert.rejects(session.getManifest(Buffer.from(v1.codeHash, 'hex')), { code: 'SERVING_DISABLED' })
    assert.ok((await session.getManifest(Buffer.from(big.codeHash, 'hex'))).size > 0, 'other apps still served')
    await serving.set(true, 'echo')
    await serving.set(false)
    await assert.rejects(
      session.getCode(Buffer.from(big.codeHash, 'hex'), 0, 10, () => {}),
      { code: 'SERVING_DISABLED' }
    )
    await serving.set(true)
    await assert.rejects(session.getManifest(Buffer.alloc(32, 7)), { code: 'NOT_SERVED' })
    assert.ok(A.host.status().serving!.refused.SERVING_DISABLED >= 2)
    const line = formatStatus(A.host.status()).find((l) => l.startsWith('serving'))
    assert.match(line ?? '', /^serving   on; 0 fetches now, \d+ B served; refused .*SERVING_DISABLED/)
  })

  await t.test('per-peer fetch limits hold, and a requester that leaves mid-fetch leaves nothing behind', async () => {
    const L = await host([big], { servingLimits: { bytesPerSecond: 512 * 1024 } })
    const session = await AppsSession.open(client, L.host.identity!.publicKey)
    const h = Buffer.from(big.codeHash, 'hex')
    const first = session.getCode(h, 0, 1024 * 1024, () => {})
    const second = session.getCode(h, 1024 * 1024, 1024 * 1024, () => {})
    first.catch(() => {})
    second.catch(() => {})
    await assert.rejects(
      session.getCode(h, 2 * 1024 * 1024, 1024, () => {}),
      { code: 'SERVING_BUSY' }
    )
    assert.equal(L.host.status().serving!.fetchesInFlight, 2)
    await session.close()
    await assert.rejects(first)
    for (let i = 0; i < 100 && L.host.status().serving!.fetchesInFlight > 0; i++) await new Promise((r) => setTimeout(r, 50))
    assert.equal(L.host.status().serving!.fetchesInFlight, 0, 'the server stopped sending')
    await L.close()
  })

  await t.test("another publisher's app of the same name is refused, from the network and from a file", async () => {
    const Q = generateKeyPair()
    const other = release(Q, { version: '9.0.0', tag: 'q' })
    const Qh = await host([other])
    const { home, store } = await freshStore()
    await store.install(v1.manifest, v1.wasm)
    await assert.rejects(installFromNetwork({ dht: client, store, trusted: new Set() }, { hash: Buffer.from(other.codeHash, 'hex'), consent: yes }), {
      code: 'PUBLISHER_CHANGED'
    })
    const r = await cli(home, ['install', other.codeHash, '--yes', '--bootstrap', ...bootstrap])
    assert.equal(r.code, 4)
    assert.match(r.stderr, /^PUBLISHER_CHANGED: echo is installed from publisher/)
    assert.equal((await store.get('echo')).codeHash, v1.codeHash, 'the installed app is untouched')
    await Qh.close()
  })

  await t.test('upgrade finds a newer version on another host, shows the permission diff, and installs it', async () => {
    const v2 = release(P, { version: '0.2.0', extra: { permissions: { dial: ['self/echo'] } } })
    const V2 = await host([v2])
    const { home, store } = await freshStore()
    await store.install(v1.manifest, v1.wasm)
    const check = await cli(home, ['upgrade', '--check', '--json', '--bootstrap', ...bootstrap])
    assert.equal(check.code, 0, check.stderr)
    const offer = JSON.parse(check.stdout).apps[0]
    assert.equal(JSON.parse(check.stdout).daemon, 'not-needed', 'nothing upgraded: no daemon to tell, whether one runs or not')
    assert.equal(offer.status, 'available')
    assert.equal(offer.to, '0.2.0')
    assert.deepEqual(offer.added, ['+ dial self/echo'])
    assert.equal((await store.get('echo')).version, '0.1.0', '--check installs nothing')

    const noTty = await cli(home, ['upgrade', 'echo', '--bootstrap', ...bootstrap])
    assert.equal(noTty.code, 1)
    assert.match(noTty.stderr, /^CONSENT_REQUIRED/)
    const up = await cli(home, ['upgrade', 'echo', '--bootstrap', ...bootstrap], { interactive: true, answer: 'y' })
    assert.equal(up.code, 0, up.stderr)
    assert.match(up.stderr, /\+ dial self\/echo/)
    assert.match(up.stdout, /upgraded echo 0\.1\.0 -> 0\.2\.0/)
    assert.equal((await store.get('echo')).codeHash, v2.codeHash)

    // auto-upgrade: a trusted publisher's release that adds a permission is held, one that adds none is taken
    const auto = await freshStore()
    await auto.store.install(v1.manifest, v1.wasm)
    const trust = new TrustStore(homePaths(auto.home).trust)
    await trust.add(P.publicKey.toString('hex'), 'p', { autoUpgrade: true })
    let applied = 0
    const upgrader = new AutoUpgrader({
      dht: client,
      store: auto.store,
      trust,
      log: silentLogger(),
      exclude: () => new Set(),
      applied: async () => void applied++
    })
    defer(() => upgrader.close())
    const held = await upgrader.runOnce()
    assert.deepEqual(
      held.map((r) => [r.to, r.status]),
      [['0.2.0', 'held']]
    )
    assert.equal((await auto.store.get('echo')).version, '0.1.0')
    const v3 = release(P, { version: '0.3.0' })
    const V3 = await host([v3])
    const taken = await upgrader.runOnce()
    assert.deepEqual(
      taken.map((r) => [r.to, r.status]),
      [['0.3.0', 'upgraded']]
    )
    assert.equal((await auto.store.get('echo')).codeHash, v3.codeHash)
    assert.equal(applied, 1)
    await V3.close()
    await V2.close()
  })

  await t.test('another publisher re-signing the same code cannot take the name over', async () => {
    const M = generateKeyPair()
    const forged = release(M, { version: '9.0.0', wasm: v1.wasm, extra: { permissions: { dial: ['self/echo'] } } })
    assert.equal(forged.codeHash, v1.codeHash)
    const Mh = await host([forged])
    const code = Buffer.from(v1.codeHash, 'hex')
    const trusting = await freshStore()
    const r = await installFromNetwork({ dht: client, store: trusting.store, trusted: new Set([P.publicKey.toString('hex')]) }, { hash: code, consent: yes })
    assert.equal(r.app.publisher, P.publicKey.toString('hex'), "the trusted publisher's manifest, not the newest one")
    assert.equal(r.app.version, '0.1.0')
    const unsure = await freshStore()
    await assert.rejects(installFromNetwork({ dht: client, store: unsure.store, trusted: new Set() }, { hash: code, consent: yes }), {
      code: 'CONFLICTING_MANIFESTS'
    })
    assert.deepEqual(await unsure.store.list(), [])
    const pinned = await freshStore()
    await pinned.store.install(v1.manifest, v1.wasm)
    const again = await installFromNetwork({ dht: client, store: pinned.store, trusted: new Set() }, { hash: code, consent: yes })
    assert.equal(again.status, 'unchanged', "the pinned publisher's manifest is the one that counts")
    await Mh.close()
  })

  await t.test('a consent that takes longer than the vendor keeps a connection still installs', async () => {
    const slow = release(P, { name: 'slowpoke', tag: 'slow' })
    const S = await host([slow], { servingLimits: { requestTimeoutMs: 200 } })
    const { store } = await freshStore()
    const r = await installFromNetwork(
      { dht: client, store, trusted: new Set() },
      {
        hash: Buffer.from(slow.codeHash, 'hex'),
        consent: async () => {
          await new Promise((resolve) => setTimeout(resolve, 1000)) // the vendor closes idle sessions after 400 ms
          return true
        }
      }
    )
    assert.equal(r.status, 'installed')
    await S.close()
  })
})
