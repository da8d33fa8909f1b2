import test from 'node:test'
import assert from 'node:assert/strict'
import { teardown } from '../helpers/teardown.ts'
import { Internet, ensureTools, sweep, unavailable } from './netns.ts'
import { agent } from './agents.ts'

/**
 * A relayed connection that hyperdht later upgrades to a punched one, behind real NATs (netns.ts):
 * a host behind a port-randomizing NAT names a relay at once (relay-connect.ts), so its
 * connection to a host behind a cone NAT opens through the relay, while hyperdht keeps punching
 * alongside; when the punch succeeds hyperdht moves the same stream onto it, and the path the
 * host reports (`status` paths, PathTracker) moves from relayed to direct at both ends. Needs
 * root and `ip netns`; skips with one line otherwise.
 */

const STEM = 'hnupg'

test('a relayed connection between a randomizing and a cone NAT moves to the direct path when the punch succeeds', async (t) => {
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
  const cone = await net.addSite('c1', 'cone')
  const rand = await net.addSite('r1', 'random')
  const boot = await agent(bootNs.ns, ['boot', bootNs.ip], defer)
  const bs = boot.ready.bootstrap as string
  const relay = await agent(relayNs.ns, ['host', bs, 'relay'], defer)
  const [c, r] = await Promise.all([agent(cone.host, ['host', bs], defer), agent(rand.host, ['host', bs], defer)])

  const opened = await r.ask('open', { key: c.ready.key })
  assert.equal(opened.ok, true, `${opened.code} ${opened.error}`)
  // measured: the relay pairs first, every run (5 of 5)
  assert.equal(opened.path, 'relayed', 'the connection opens through the relay')
  assert.equal(opened.relay, relay.ready.relay)
  const t0 = performance.now()
  let last = opened
  for (let i = 0; i < 60 && last.path === 'relayed'; i++) {
    await new Promise((resolve) => setTimeout(resolve, 1000))
    last = await r.ask('path')
    assert.equal(last.ok, true, last.error)
    assert.equal(last.echoed, true, 'the stream carries bytes whatever its path')
  }
  t.diagnostic(`relayed -> ${last.path} after ${Math.round(performance.now() - t0)} ms`)
  // the punch succeeded later and hyperdht moved the same stream onto it (changeRemote)
  assert.equal(last.path, 'direct', 'the same stream now goes straight to the peer')
  assert.equal(last.relay, null)
  const after = await r.ask('path')
  assert.equal(after.echoed, true, 'and still carries bytes')
  const server = await c.ask('paths')
  assert.equal(server.open.length, 1, 'one connection, not a second one')
  assert.equal(server.open[0].path, 'direct', `the cone side sees it direct too (remote ${server.open[0].remote})`)
  await r.ask('close')
})
