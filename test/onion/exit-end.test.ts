import test from 'node:test'
import assert from 'node:assert/strict'
import { createHash, randomBytes } from 'node:crypto'
import DHT from 'hyperdht'
import { formatId } from '../../host/encoding/ids.ts'
import { ClientCircuit, OnionRelay } from '../../host/onion/index.ts'
import type { OnionStream } from '../../host/onion/onion-stream.ts'
import { plainClient } from '../helpers/hosts.ts'
import { until } from '../helpers/plugin-apps.ts'
import { teardown } from '../helpers/teardown.ts'
import { startTestnet } from '../helpers/testnet.ts'

/**
 * A destination that writes more than a window and ends: the exit holds the rest for the
 * client's SENDMEs, and END (or the destination's close) must not cut it off.
 */

const SIZE = 4 * 1024 * 1024 + 12345

/** Read `s` to its end: the byte count and its SHA-256; `slow` pauses after every chunk. */
function readAll(s: OnionStream, slow: boolean): Promise<{ bytes: number; hash: string }> {
  const hash = createHash('sha256')
  let bytes = 0
  return new Promise((resolve, reject) => {
    s.on('error', reject)
    s.on('end', () => resolve({ bytes, hash: hash.digest('hex') }))
    s.on('data', (d: Buffer) => {
      bytes += d.byteLength
      hash.update(d)
      if (!slow) return
      s.pause()
      setTimeout(() => s.resume(), 2)
    })
  })
}

test('a download bigger than a window arrives whole before its end', async (t) => {
  const defer = teardown(t)
  const testnet = await startTestnet(10)
  defer(() => testnet.destroy())

  const rdht = plainClient(testnet)
  defer(() => rdht.destroy())
  const relay = new OnionRelay(rdht, DHT.keyPair(), { extendTimeoutMs: 3000 })
  await relay.ready()
  defer(() => relay.close())
  const key = formatId(relay.publicKey)
  const info = { hostKey: key, relayKey: key }

  const payload = randomBytes(SIZE)
  const expected = createHash('sha256').update(payload).digest('hex')
  const destDht = plainClient(testnet)
  defer(() => destDht.destroy())
  const destKey = DHT.keyPair()
  const server = destDht.createServer({}, (s) => {
    s.on('error', () => {})
    s.on('data', () => {})
    s.write(payload)
    s.end()
  })
  await server.listen(destKey)
  defer(() => server.close())

  const dht = plainClient(testnet)
  defer(() => dht.destroy())
  await dht.ready()

  for (const slow of [false, true]) {
    await t.test(slow ? 'with a slow reader' : 'with a fast reader', async () => {
      const c = new ClientCircuit(dht, [info], 5000)
      await c.build()
      const s = await c.begin(destKey.publicKey)
      const done = readAll(s, slow)
      s.end()
      const got = await done
      assert.equal(got.bytes, SIZE, 'every byte the destination wrote')
      assert.equal(got.hash, expected)
      s.destroy()
    })
  }
  const st = relay.status()
  assert.equal(st.limited + st.shed, 0, 'no circuit of a reading client was ended for what the exit held')

  await t.test('a closed destination whose client still reads, slowly for the relay rate, gets every byte past the wait for acknowledgements', async () => {
    const rdht3 = plainClient(testnet)
    defer(() => rdht3.destroy())
    // 1 MiB/s: the 4 MiB below take the relay three seconds or more to send back, far past its 1 s wait
    const rate = 1024 * 1024
    const slowRelay = new OnionRelay(rdht3, DHT.keyPair(), { extendTimeoutMs: 3000, exitFlushMs: 1000, maxBytesPerSecond: rate })
    await slowRelay.ready()
    defer(() => slowRelay.close())
    const k = formatId(slowRelay.publicKey)
    const big = randomBytes(4 * rate)
    const goneKey = DHT.keyPair()
    const gone = destDht.createServer({}, (d) => {
      d.on('error', () => {})
      d.on('data', () => {})
      // the destination goes away once its bytes have left it: the exit holds them
      const close = () => setTimeout(() => d.destroy(), 200)
      if (d.write(big)) close()
      else d.once('drain', close)
    })
    await gone.listen(goneKey)
    defer(() => gone.close())
    const c = new ClientCircuit(dht, [{ hostKey: k, relayKey: k }], 5000)
    await c.build()
    const s = await c.begin(goneKey.publicKey)
    const got = await readAll(s, false)
    assert.equal(got.bytes, big.byteLength, 'every byte the destination wrote')
    assert.equal(got.hash, createHash('sha256').update(big).digest('hex'))
    s.destroy()
  })

  await t.test('a closed destination whose client stops acknowledging loses its circuit with timeout, not a clean end', async () => {
    const rdht2 = plainClient(testnet)
    defer(() => rdht2.destroy())
    const slowRelay = new OnionRelay(rdht2, DHT.keyPair(), { extendTimeoutMs: 3000, exitFlushMs: 300 })
    await slowRelay.ready()
    defer(() => slowRelay.close())
    const k = formatId(slowRelay.publicKey)
    const abruptKey = DHT.keyPair()
    const abrupt = destDht.createServer({}, (d) => {
      d.on('error', () => {})
      d.on('data', () => {})
      // the destination goes away once its bytes have left it (the exit holds more than a
      // window of them), before the client read them
      const gone = () => setTimeout(() => d.destroy(), 200)
      if (d.write(payload)) gone()
      else d.once('drain', gone)
    })
    await abrupt.listen(abruptKey)
    defer(() => abrupt.close())
    const c = new ClientCircuit(dht, [{ hostKey: k, relayKey: k }], 5000)
    await c.build()
    const s = await c.begin(abruptKey.publicKey)
    // not read: no SENDME goes, so the exit holds what the window does not allow
    const failed = new Promise<Error & { details?: Record<string, unknown> }>((resolve) => s.once('error', resolve))
    s.once('end', () => assert.fail('a clean end for a cut stream'))
    await until(() => slowRelay.status().circuits === 0, 'the exit gave up on the client')
    let bytes = 0
    s.on('data', (d: Buffer) => (bytes += d.byteLength))
    const err = await failed
    assert.equal(err.details?.reason, 'timeout', err.message)
    assert.ok(bytes < SIZE, `${bytes} of ${SIZE} bytes`)
  })
})
