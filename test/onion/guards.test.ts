import test from 'node:test'
import assert from 'node:assert/strict'
import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type DHT from 'hyperdht'
import { OnionClient } from '../../host/onion/index.ts'
import type { RelayInfo } from '../../host/onion/index.ts'
import { loadGuards, saveGuards } from '../../host/onion/guard-store.ts'
import type { GuardRecord } from '../../host/onion/guard-store.ts'

const relay = (i: number): RelayInfo => ({ relayKey: i.toString(16).padStart(2, '0').repeat(32), hostKey: (i + 100).toString(16).padStart(2, '0').repeat(32) })
const RELAYS = Array.from({ length: 8 }, (_, i) => relay(i + 1))

/** A client whose relay list is `list` (no DHT is touched), and what it reported of its guards. */
function clientWith(list: RelayInfo[], init: ConstructorParameters<typeof OnionClient>[1] = {}) {
  const reported: GuardRecord[][] = []
  const c = new OnionClient(null as unknown as DHT, { guards: 2, relayCacheMs: Infinity, onGuards: (g) => reported.push(g), ...init })
  const internals = c as unknown as { cache: { relays: RelayInfo[]; at: number }; pickWithGuard(r: RelayInfo[], hops: number, avoid: Set<string>): RelayInfo[] }
  internals.cache = { relays: list, at: Date.now() }
  return { c, reported, path: (relays = list, avoid = new Set<string>()) => internals.pickWithGuard(relays, 3, avoid) }
}

test('every path starts at the primary guard; two are chosen once and reported', () => {
  const { c, reported, path } = clientWith(RELAYS)
  const firsts = new Set<string>()
  for (let i = 0; i < 50; i++) {
    const p = path()
    assert.equal(p.length, 3)
    assert.equal(new Set(p.map((r) => r.hostKey)).size, 3, 'distinct hosts')
    firsts.add(p[0].relayKey)
  }
  assert.equal(c.guardKeys().length, 2)
  assert.deepEqual([...firsts], [c.guardKeys()[0]], 'the first guard is primary; the second stands in')
  assert.equal(reported.length, 1, 'the set was reported once, when chosen')
  assert.deepEqual(
    reported[0].map((g) => g.relay),
    c.guardKeys()
  )
})

test('saved guards are used first; a guard missing from three lookups in a row, or too old, is replaced', () => {
  const now = Date.now()
  const saved: GuardRecord[] = [
    { relay: RELAYS[0].relayKey, host: RELAYS[0].hostKey, since: now - 1000 },
    { relay: RELAYS[1].relayKey, host: RELAYS[1].hostKey, since: now - 1000 }
  ]
  const { c, reported, path } = clientWith(RELAYS, { savedGuards: saved })
  assert.ok([RELAYS[0].relayKey, RELAYS[1].relayKey].includes(path()[0].relayKey))
  assert.equal(reported.length, 0, 'nothing changed')
  // each call a fresh lookup result; the same result picked from again counts once
  const without = () => RELAYS.filter((r) => r !== RELAYS[1])
  const once = without()
  for (let i = 0; i < 5; i++) path(once)
  assert.ok(c.guardKeys().includes(RELAYS[1].relayKey), 'one lookup that missed it, however many paths, is no reason to drop it')
  path(without())
  assert.ok(c.guardKeys().includes(RELAYS[1].relayKey), 'nor two')
  assert.notEqual(path(without())[0].relayKey, RELAYS[1].relayKey, 'a missing guard is not dialled')
  assert.ok(!c.guardKeys().includes(RELAYS[1].relayKey), 'gone after three lookups in a row missed it')
  assert.equal(c.guardKeys().length, 2)
  assert.equal(reported.length, 1)

  const old = clientWith(RELAYS, {
    savedGuards: [
      { ...saved[0], since: now - 1000 },
      { ...saved[1], since: now - 100 * 86_400_000 }
    ]
  })
  old.path()
  assert.ok(old.c.guardKeys().includes(RELAYS[0].relayKey))
  assert.ok(!old.c.guardKeys().includes(RELAYS[1].relayKey), 'an aged-out guard is replaced')
})

test('a guard is never the last hop a caller asked to avoid, and the other guard stands in', () => {
  const { c, path } = clientWith(RELAYS)
  path()
  const [g1, g2] = c.guardKeys()
  const g1Host = RELAYS.find((r) => r.relayKey === g1)!.hostKey
  for (let i = 0; i < 10; i++) assert.equal(path(RELAYS, new Set([g1, g1Host]))[0].relayKey, g2)
})

test('the guard file round-trips, is private, and a bad one reads as empty', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'hn-guards-'))
  t.after(() => rm(dir, { recursive: true, force: true }))
  const file = join(dir, 'onion-guards.json')
  assert.deepEqual(await loadGuards(file), [], 'absent')
  const g: GuardRecord[] = [{ relay: RELAYS[0].relayKey, host: RELAYS[0].hostKey, since: 1 }]
  await saveGuards(file, g)
  assert.deepEqual(await loadGuards(file), g)
  assert.equal((await stat(file)).mode & 0o777, 0o600)
  assert.equal(JSON.parse(await readFile(file, 'utf8')).version, 1)
  for (const bad of ['not json', '{"version":2,"guards":[]}', '{"version":1,"guards":[{"relay":"zz","host":"zz","since":1}]}']) {
    await writeFile(file, bad)
    assert.deepEqual(await loadGuards(file), [], bad)
  }
})
