import test from 'node:test'
import assert from 'node:assert/strict'
import { execFile } from 'node:child_process'
import { promisify } from 'node:util'
import { fileURLToPath } from 'node:url'
import { teardown } from '../helpers/teardown.ts'
import { Internet, ensureTools, sweep, unavailable } from './netns.ts'
import { agent } from './agents.ts'
import type { Agent } from './agents.ts'

/**
 * Hosts behind real NATs, on real network stacks: a small internet of network namespaces
 * (netns.ts) with the DHT bootstrap, a relay-capable host and a host with no NAT on the public
 * segment, and hosts behind two cone NATs and two port-randomizing NATs. Each host is a child
 * process (agent.ts) inside its namespace; each case asserts the path both ends see and that
 * bytes flow both ways. Needs root and `ip netns` (CI has both); installs iptables and
 * conntrack with apt-get when missing; skips with one line otherwise.
 */

const REPO = fileURLToPath(new URL('../../', import.meta.url))
const execFileP = promisify(execFile)
const STEM = 'hnnat'

test('hosts behind NATs connect directly when a hole can be punched, and through a relay when not', async (t) => {
  const why = (await unavailable()) ?? (await ensureTools())
  if (why) {
    t.skip(`NAT testbed skipped: ${why}`)
    return
  }
  const defer = teardown(t)
  await sweep(STEM)
  const net = new Internet(`${STEM}${process.pid}`)
  defer(() => net.destroy())
  await net.create()
  const bootNs = await net.addPublic('boot')
  const relayNs = await net.addPublic('relay')
  const openNs = await net.addPublic('open')
  const cone1 = await net.addSite('c1', 'cone')
  const cone2 = await net.addSite('c2', 'cone')
  const rand1 = await net.addSite('r1', 'random')
  const rand2 = await net.addSite('r2', 'random')

  const boot = await agent(bootNs.ns, ['boot', bootNs.ip], defer)
  const bs = boot.ready.bootstrap as string
  const hosts = await Promise.all([cone1.host, cone2.host, rand1.host, rand2.host, openNs.ns].map((ns) => agent(ns, ['host', bs], defer)))
  const [c1, c2, r1, r2, open] = hosts

  const results: string[] = []
  let relay: Agent | null = null
  defer(() => t.diagnostic(`measured: ${results.join('; ')}`))

  /** Dial `to`'s echo service from `from`: assert the path seen at both ends and the echo. */
  async function connects(name: string, from: Agent, to: Agent, path: 'direct' | 'relayed', relayKey?: string) {
    const r = await from.ask('dial', { key: to.ready.key })
    assert.equal(r.ok, true, `${name}: ${r.code} ${r.error}`)
    assert.equal(r.echoed, true, `${name}: 64 KiB went there and back intact`)
    assert.equal(r.path, path, `${name}: the client sees the connection ${path} (remote ${r.remote})`)
    if (relayKey) assert.equal(r.relay, relayKey, `${name}: through the relay host`)
    const seen = await to.ask('paths')
    assert.equal(seen.open.length, 1, `${name}: the server has the connection open`)
    assert.equal(seen.open[0].path, path, `${name}: the server sees it ${path} too (remote ${seen.open[0].remote})`)
    await from.ask('close')
    results.push(`${name} ${r.path} in ${r.ms} ms`)
  }

  await t.test('netcheck tells each network apart: open, a consistent NAT, a randomizing NAT', async () => {
    const check = async (ns: string) => {
      const { stdout } = await execFileP(
        'ip',
        [
          'netns',
          'exec',
          ns,
          process.execPath,
          'bin/hypernet-host.js',
          'netcheck',
          '--bootstrap',
          bs,
          '--json',
          '--home',
          `/tmp/${STEM}-netcheck-${process.pid}`
        ],
        { cwd: REPO, timeout: 60_000 }
      )
      return JSON.parse(stdout)
    }
    const [o, c, r] = await Promise.all([check(openNs.ns), check(cone1.host), check(rand1.host)])
    assert.equal(o.reachable, true)
    assert.equal(o.nat, 'open')
    assert.equal(o.holepunch, 'not needed')
    assert.equal(c.reachable, false)
    assert.equal(c.nat, 'consistent')
    assert.equal(c.holepunch, 'likely')
    assert.equal(c.publicAddress.split(':')[0], cone1.publicIp)
    assert.equal(r.reachable, false)
    assert.equal(r.nat, 'randomizing')
    assert.equal(r.holepunch, 'unlikely')
    results.push(`netcheck: open ${o.nat}, cone ${c.nat}, random ${r.nat}`)
  })

  await t.test('cone NAT to cone NAT connects directly: the hole is punched', async () => {
    await connects('cone x cone', c1, c2, 'direct')
  })

  await t.test('a host with no NAT accepts a connection from a host behind a NAT, directly', async () => {
    await connects('cone x open', c1, open, 'direct')
  })

  await t.test('randomizing NAT to randomizing NAT fails fast with a clear reason when no relay exists', async () => {
    const r = await r1.ask('dial', { key: r2.ready.key })
    assert.equal(r.ok, false)
    assert.equal(r.code, 'CONNECTION_FAILED')
    assert.match(r.error, /no relay is known/)
    results.push(`random x random without a relay: refused in ${r.ms} ms`)
  })

  await t.test('randomizing NAT to randomizing NAT falls back to the relay', async () => {
    relay = await agent(relayNs.ns, ['host', bs, 'relay', JSON.stringify({ maxConnections: 1 })], defer)
    const relayKey = relay.ready.relay as string
    assert.match(relayKey, /^[0-9a-f]{64}$/)
    await connects('random x random', r1, r2, 'relayed', relayKey)
    const info = await relay.ask('info')
    assert.ok(info.relay.paired >= 1, 'the relay paired the two ends')
  })

  await t.test('a relay refuses relayed connections past its limit, and the client is told why', async () => {
    if (!relay) throw new Error('the relay did not start')
    // the previous connection's pair goes away when its streams close
    for (let i = 0; i < 50 && (await relay.ask('info')).relay.connections > 0; i++) await new Promise((r) => setTimeout(r, 100))
    const first = await r1.ask('open', { key: r2.ready.key })
    assert.equal(first.ok, true, `${first.code} ${first.error}`)
    assert.equal(first.path, 'relayed')
    const second = await r1.ask('dial', { key: r2.ready.key })
    assert.equal(second.ok, false, 'the relay is full (1 connection)')
    assert.equal(second.code, 'CONNECTION_FAILED')
    assert.match(second.error, /every relay known \(1\) failed to carry it or refused it/)
    const info = await relay.ask('info')
    assert.equal(info.relay.connections, 1)
    assert.ok(info.relay.refused.connections >= 1, 'counted as refused')
    await r1.ask('close')
    results.push(`relay limit 1: second relayed connection refused in ${second.ms} ms`)
  })
})
