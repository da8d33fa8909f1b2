import assert from 'node:assert/strict'
import { test } from 'node:test'
import type { LookupPeer } from '../../host/dns/lookup.ts'
import { HypernetError } from '../../host/errors.ts'
import { DialCache } from '../../host/net/dial-cache.ts'

const peer = { hostKey: 'aa'.repeat(32), serviceKey: 'bb'.repeat(32), verified: true, how: 'test' } as LookupPeer

test('dials of one hash share the lookup in flight and reuse its peers briefly', async () => {
  let now = 0
  let release!: (p: LookupPeer[]) => void
  let lookups = 0
  const cache = new DialCache(
    () => {
      lookups++
      return new Promise((resolve) => (release = resolve))
    },
    { peersTtlMs: 1000, now: () => now }
  )
  const hash = Buffer.alloc(32, 1)
  const waiting = Array.from({ length: 50 }, () => cache.peers(hash))
  const giveUp = new AbortController()
  const abandoned = cache.peers(hash, giveUp.signal)
  giveUp.abort()
  await assert.rejects(abandoned, { code: 'CONNECTION_FAILED' })
  release([peer])
  for (const p of await Promise.all(waiting)) assert.deepEqual(p, [peer])
  assert.equal(lookups, 1, 'one lookup for 51 dials, one of which gave up')
  await cache.peers(hash)
  assert.equal(lookups, 1, 'cached')
  now = 1001
  const again = cache.peers(hash)
  release([])
  assert.deepEqual(await again, [])
  assert.equal(lookups, 2, 'looked up again once the cache expired')
  const empty = cache.peers(hash)
  release([])
  await empty
  assert.equal(lookups, 3, 'finding nobody is not cached')
})

test('a target that keeps failing fails at once until its backoff, which doubles, ends', () => {
  let now = 0
  const cache = new DialCache(async () => [], { initialBackoffMs: 100, maxBackoffMs: 250, now: () => now })
  cache.check('t')
  cache.failed('t', HypernetError.NOT_FOUND('no verified peer vends t'))
  assert.throws(
    () => cache.check('t'),
    (err: HypernetError) => err.code === 'NOT_FOUND' && /1 failures in a row: not tried again for 100 ms/.test(err.message)
  )
  now = 100
  cache.check('t')
  cache.failed('t', HypernetError.NOT_FOUND('no verified peer vends t'))
  now = 299
  assert.throws(() => cache.check('t'), { code: 'NOT_FOUND' })
  now = 300
  cache.check('t')
  cache.failed('t', HypernetError.NOT_FOUND('x'))
  assert.throws(() => cache.check('t'), /not tried again for 250 ms/, 'capped at maxBackoffMs')
  cache.succeeded('t')
  cache.check('t')
})
