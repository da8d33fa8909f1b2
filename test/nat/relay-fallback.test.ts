import test from 'node:test'
import assert from 'node:assert/strict'
import { EventEmitter } from 'node:events'
import type DHT from 'hyperdht'
import { parseByteRate, relayInit } from '../../host/cli/actions/relay-options.ts'
import { connectWithRelay, isPunchFailure } from '../../host/net/relay-connect.ts'
import type { RelayDirectory } from '../../host/net/relay-directory.ts'

/** A DHT stand-in whose connect fails like two randomizing NATs unless a relay is named. */
function fakeDht(randomized = false) {
  const calls: Array<{ relayThrough: unknown }> = []
  const dht = {
    randomized,
    connect(_key: Buffer, opts: { relayThrough?: unknown } = {}) {
      calls.push({ relayThrough: opts.relayThrough ?? null })
      const s = Object.assign(new EventEmitter(), { destroy() {}, removeListener: EventEmitter.prototype.removeListener })
      setImmediate(() => {
        if (opts.relayThrough) s.emit('open')
        else s.emit('error', Object.assign(new Error('HOLEPUNCH_ABORTED: Holepunch aborted'), { code: 'HOLEPUNCH_ABORTED' }))
      })
      return s
    }
  }
  return { dht: dht as unknown as DHT, calls }
}

function directory(keys: Buffer[]): RelayDirectory & { failedKeys: string[] } {
  const failedKeys: string[] = []
  let i = 0
  return {
    failedKeys,
    pick: async () => keys[i++] ?? null,
    list: () => keys.map((k) => ({ key: k.toString('hex'), source: 'dht', failedAt: null })),
    failed: (k: Buffer) => failedKeys.push(k.toString('hex'))
  } as unknown as RelayDirectory & { failedKeys: string[] }
}

test('a connection whose hole cannot be punched is retried once through a relay', async () => {
  const { dht, calls } = fakeDht()
  const relay = Buffer.alloc(32, 7)
  const s = await connectWithRelay(dht, Buffer.alloc(32, 1), { relays: directory([relay]), timeoutMs: 2000 })
  assert.ok(s)
  assert.deepEqual(
    calls.map((c) => c.relayThrough),
    [null, relay],
    'first without a relay, then through it'
  )
})

test('a host whose own NAT randomizes names a relay at once', async () => {
  const { dht, calls } = fakeDht(true)
  const relay = Buffer.alloc(32, 8)
  await connectWithRelay(dht, Buffer.alloc(32, 1), { relays: directory([relay]), timeoutMs: 2000 })
  assert.deepEqual(
    calls.map((c) => c.relayThrough),
    [relay]
  )
})

test('with no relay known, the failure says that a relay is what is missing', async () => {
  const { dht } = fakeDht()
  await assert.rejects(connectWithRelay(dht, Buffer.alloc(32, 1), { relays: directory([]), timeoutMs: 2000 }), {
    code: 'CONNECTION_FAILED',
    message: /hole punching is impossible between these two networks and no relay is known/
  })
  // without a directory at all, the plain error stands
  await assert.rejects(connectWithRelay(dht, Buffer.alloc(32, 1), { relays: null, timeoutMs: 2000 }), {
    code: 'CONNECTION_FAILED',
    message: /HOLEPUNCH_ABORTED/
  })
})

test('only punch failures count as reasons to relay', () => {
  assert.equal(isPunchFailure({ cause: { code: 'HOLEPUNCH_DOUBLE_RANDOMIZED_NATS' } }), true)
  assert.equal(isPunchFailure({ cause: { code: 'PEER_NOT_FOUND' } }), false)
  assert.equal(isPunchFailure(new Error('x')), false)
})

test('relay options are checked and name the field at fault', () => {
  assert.equal(parseByteRate('8M', '--relay-max-bandwidth'), 8 * 1024 * 1024)
  assert.equal(parseByteRate('512K', '--relay-max-bandwidth'), 512 * 1024)
  assert.equal(parseByteRate('2048', '--relay-max-bandwidth'), 2048)
  assert.throws(() => parseByteRate('fast', '--relay-max-bandwidth'), { code: 'USAGE', message: /^USAGE: --relay-max-bandwidth: expected bytes per second/ })
  assert.deepEqual(relayInit({ relay: true, relayMaxConnections: 3, relayMaxBandwidth: '1M' }), {
    relay: { port: undefined, limits: { maxConnections: 3, maxBytesPerSecond: 1048576 } }
  })
  assert.throws(() => relayInit({ relayMaxConnections: 3 }), { code: 'USAGE', message: /these need --relay/ })
  assert.throws(() => relayInit({ relay: true, relayMaxConnections: 0 }), { code: 'USAGE', message: /--relay-max-connections/ })
  assert.throws(() => relayInit({ useRelay: ['nope'] }), { code: 'BAD_KEY', message: /--use-relay/ })
})
