import test from 'node:test'
import assert from 'node:assert/strict'
import DHT from 'hyperdht'
import type { SecretStream } from 'hyperdht'
import { ONION, ONION_REASON } from '../../host/constants.ts'
import { CELL, ONION_CELL_BYTES, ONION_MAX_DATA, RELAY_CMD, decodeExact, encode, onionBegin, onionCell, onionReasonBody } from '../../host/messages.ts'
import { ClientCircuit } from '../../host/onion/index.ts'
import type { CellLink } from '../../host/onion/cell-link.ts'
import { StreamWindow } from '../../host/onion/stream-window.ts'
import type { OnionRelayInit, RelayInfo } from '../../host/onion/index.ts'
import { TokenBucket } from '../../host/util/token-bucket.ts'
import { openStream, plainClient, readBytes } from '../helpers/hosts.ts'
import { until } from '../helpers/plugin-apps.ts'
import { startBareRelay } from '../helpers/onion.ts'
import { teardown } from '../helpers/teardown.ts'
import { startTestnet } from '../helpers/testnet.ts'

/**
 * Relays without hosts (a DHT node and an OnionRelay each), driven by hand-made paths: the
 * limits, and what malformed input does to a relay (ends that link, nothing else).
 */

test('onion relay limits and malformed input', async (t) => {
  const defer = teardown(t)
  const testnet = await startTestnet(10)
  defer(() => testnet.destroy())

  const relay = (init: OnionRelayInit = {}) => startBareRelay(testnet, defer, init)

  // an echo destination with a known key, and a client node
  const destDht = plainClient(testnet)
  defer(() => destDht.destroy())
  const destKey = DHT.keyPair()
  const server = destDht.createServer({}, (s) => {
    s.on('error', () => {})
    s.pipe(s)
  })
  await server.listen(destKey)
  defer(() => server.close())
  const dht = plainClient(testnet)
  defer(() => dht.destroy())
  await dht.ready()

  async function open(path: RelayInfo[]) {
    const c = new ClientCircuit(dht, path, 5000)
    await c.build()
    return c.begin(destKey.publicKey)
  }

  await t.test('a relay full of circuits turns the next one away with a clear reason', async () => {
    const { relay: r, info } = await relay({ maxCircuits: 1 })
    const first = await open([info])
    await assert.rejects(open([info]), (err: Error & { code?: string; details?: Record<string, unknown> }) => {
      assert.equal(err.code, 'CIRCUIT_FAILED')
      assert.match(err.message, /over its circuit or byte limit/)
      assert.equal(err.details?.reason, 'limit')
      assert.equal(err.details?.relay, info.relayKey, 'the full relay is named, so the client avoids it')
      return true
    })
    assert.equal(r.status().refused, 1)
    first.destroy()
    await until(() => r.status().circuits === 0, 'the first circuit gone')
    ;(await open([info])).destroy()
  })

  await t.test('a circuit over its byte limit is destroyed with a clear reason', async () => {
    const { info } = await relay({ maxCircuitBytes: 64 * 1024 })
    const s = await open([info])
    const failed = new Promise<Error & { code?: string; details?: Record<string, unknown> }>((resolve) => s.once('error', resolve))
    s.on('data', () => {})
    s.write(Buffer.alloc(200 * 1024))
    const err = await failed
    assert.equal(err.code, 'CIRCUIT_FAILED')
    assert.equal(err.details?.reason, 'limit')
  })

  await t.test('a relay over its bandwidth pauses its links instead of dropping cells, and every byte arrives', async () => {
    const { relay: r, info } = await relay({ maxBytesPerSecond: 256 * 1024 })
    const bucket = (r as unknown as { limiter: TokenBucket }).limiter
    const take = bucket.take.bind(bucket)
    let pauses = 0
    bucket.take = (n: number) => {
      const wait = take(n)
      if (wait > 0) pauses++
      return wait
    }
    const s = await open([info])
    const data = Buffer.alloc(256 * 1024)
    for (let i = 0; i < data.length; i++) data[i] = i % 251
    s.write(data)
    const back = await readBytes(s as unknown as SecretStream, data.length, 30_000)
    assert.ok(back.equals(data), 'the echo came back whole and in order')
    assert.ok(pauses > 0, 'the relay had to pause reading to keep to its rate')
    s.destroy()
  })

  await t.test('what a circuit holds stays within one write: at most 64 KiB per write to the destination and per chunk to the reader', async () => {
    const { info } = await relay()
    // an echo that records the size of every read: each is one write of the exit
    const sizes: number[] = []
    const key = DHT.keyPair()
    const recorder = destDht.createServer({}, (st) => {
      st.on('error', () => {})
      st.on('data', (d: Buffer) => {
        sizes.push(d.byteLength)
        st.write(d)
      })
    })
    await recorder.listen(key)
    defer(() => recorder.close())
    const c = new ClientCircuit(dht, [info], 5000)
    await c.build()
    const s = await c.begin(key.publicKey)
    const data = Buffer.alloc(1024 * 1024)
    for (let i = 0; i < data.length; i++) data[i] = (i * 7) % 253
    const chunks: number[] = []
    s.on('data', (d: Buffer) => chunks.push(d.byteLength))
    s.write(data)
    const back = await readBytes(s as unknown as SecretStream, data.length, 30_000)
    assert.ok(back.equals(data), 'the echo came back whole and in order')
    const cells = Math.ceil(data.length / ONION_MAX_DATA)
    assert.ok(Math.max(...sizes) <= 64 * 1024, `the exit wrote at most 64 KiB at once (largest ${Math.max(...sizes)})`)
    assert.ok(sizes.length < cells / 4, `the exit wrote the cells of a read together (${sizes.length} writes for ${cells} cells)`)
    assert.ok(Math.max(...chunks) <= 64 * 1024, `the reader got at most 64 KiB at once (largest ${Math.max(...chunks)})`)
    assert.ok(chunks.length < cells / 4, `the reader got the cells of a read together (${chunks.length} chunks for ${cells} cells)`)
    s.destroy()
  })

  await t.test('a stream several windows long flows both ways, with windows (SENDME) and from a client of version 1 without', async () => {
    const { info } = await relay()
    const data = Buffer.alloc(3 * 1024 * 1024)
    for (let i = 0; i < data.length; i++) data[i] = (i * 13) % 241
    const windowed = new ClientCircuit(dht, [info], 5000)
    await windowed.build()
    const s = await windowed.begin(destKey.publicKey)
    assert.ok((windowed as unknown as { end: { window: unknown } }).end.window, 'the exit said it keeps windows')
    s.write(data)
    assert.ok((await readBytes(s as unknown as SecretStream, data.length, 60_000)).equals(data), 'three windows there and back, whole and in order')
    s.destroy()
    // a client of version 1: BEGIN without the flag, no SENDME ever; the exit sends none either
    const legacy = new ClientCircuit(dht, [info], 5000)
    await legacy.build()
    const connected = await legacy.request(RELAY_CMD.BEGIN, encode(onionBegin, { serviceKey: destKey.publicKey }), RELAY_CMD.CONNECTED, 'begin')
    assert.equal(connected.data.byteLength, 0, 'the CONNECTED a version 1 client knows')
    const old = legacy.openStream(destKey.publicKey)
    old.write(data)
    assert.ok((await readBytes(old as unknown as SecretStream, data.length, 60_000)).equals(data))
    old.destroy()
  })

  await t.test('a relay slower than its client holds about one window of a stream, not the whole stream', async () => {
    const { relay: r, info } = await relay({ maxBytesPerSecond: 1024 * 1024 })
    const c = new ClientCircuit(dht, [info], 5000)
    await c.build()
    const s = await c.begin(destKey.publicKey)
    // what reached the relay on the client's link and was not yet read as cells: it piles up in
    // the paused stream, since pausing a HyperDHT stream does not stop its sender
    const circuit = [...(r as unknown as { circuits: Set<unknown> }).circuits][0] as { prev: CellLink }
    const raw = circuit.prev.stream.rawStream as unknown as { bytesReceived: number }
    const waiting = () => raw.bytesReceived - circuit.prev.cellsIn * ONION_CELL_BYTES
    const base = waiting()
    let most = 0
    const sample = setInterval(() => (most = Math.max(most, waiting() - base)), 5)
    defer(() => clearInterval(sample))
    const data = Buffer.alloc(3 * 1024 * 1024, 0x5c)
    s.write(data)
    assert.ok((await readBytes(s as unknown as SecretStream, data.length, 60_000)).equals(data))
    clearInterval(sample)
    const window = ONION.windowCells * ONION_CELL_BYTES
    assert.ok(most < 1.5 * window, `at most about a window waited at the relay (${most} bytes; a window is ${window})`)
    s.destroy()
  })

  await t.test('a client that ignores its window is cut with LIMIT at four windows held; the relay carries on', async () => {
    const { relay: r, info } = await relay({ maxBytesPerSecond: 256 * 1024 })
    const c = new ClientCircuit(dht, [info], 5000)
    await c.build()
    const s = await c.begin(destKey.publicKey)
    // a hostile client: a window it never runs out of
    ;(c as unknown as { end: { window: StreamWindow } }).end.window = new StreamWindow(1 << 30)
    const circuit = [...(r as unknown as { circuits: Set<unknown> }).circuits][0] as { prev: CellLink }
    let most = 0
    const sample = setInterval(() => (most = Math.max(most, circuit.prev.heldLength)), 5)
    defer(() => clearInterval(sample))
    const failed = new Promise<Error & { code?: string; details?: Record<string, unknown> }>((resolve) => s.once('error', resolve))
    s.on('data', () => {})
    s.write(Buffer.alloc(16 * 1024 * 1024))
    const err = await failed
    clearInterval(sample)
    assert.equal(err.code, 'CIRCUIT_FAILED')
    assert.equal(err.details?.reason, 'limit')
    assert.ok(most <= ONION.maxHeldBytes, `the relay held at most ${ONION.maxHeldBytes} bytes for it (${most})`)
    const next = await open([info])
    next.write('still relaying')
    assert.equal((await readBytes(next as unknown as SecretStream, 14)).toString(), 'still relaying')
    next.destroy()
  })

  await t.test('an exit that cannot reach the destination says so', async () => {
    const { info } = await relay()
    const c = new ClientCircuit(dht, [info], 5000)
    await c.build()
    await assert.rejects(c.begin(DHT.keyPair().publicKey), { code: 'CIRCUIT_FAILED', details: { reason: 'unreachable' } })
  })

  await t.test('garbage on a link ends that link only; the relay serves the next circuit', async () => {
    const { relay: r, info } = await relay()
    const raw = await openStream(dht, info.relayKey, DHT.keyPair())
    const closed = new Promise((resolve) => raw.once('close', resolve))
    raw.on('error', () => {})
    raw.write(Buffer.alloc(ONION_CELL_BYTES, 0x09))
    await closed
    const s = await open([info])
    s.write('still relaying')
    assert.equal((await readBytes(s as unknown as SecretStream, 14)).toString(), 'still relaying')
    s.destroy()
    assert.equal(r.status().accepted, 2)
  })

  await t.test('a first cell that is not CREATE is answered with DESTROY(PROTOCOL)', async () => {
    const { info } = await relay()
    const raw = await openStream(dht, info.relayKey, DHT.keyPair())
    raw.on('error', () => {})
    raw.write(encode(onionCell, { type: CELL.RELAY, body: Buffer.alloc(1022) }))
    const cell = decodeExact(onionCell, (await readBytes(raw, ONION_CELL_BYTES)).subarray(0, ONION_CELL_BYTES), 'cell')
    assert.equal(cell.type, CELL.DESTROY)
    assert.equal(decodeExact(onionReasonBody, cell.body, 'destroy').reason, ONION_REASON.PROTOCOL)
  })

  await t.test('a relay shutting down ends its circuits with a clear reason', async () => {
    const { relay: r, info } = await relay()
    const s = await open([info])
    const failed = new Promise<Error & { code?: string; details?: Record<string, unknown> }>((resolve) => s.once('error', resolve))
    await r.close()
    const err = await failed
    assert.equal(err.code, 'CIRCUIT_FAILED')
    assert.equal(err.details?.reason, 'closing')
  })
})

test('the token bucket answers how long to pause, never refuses', () => {
  let now = 1_000_000
  const b = new TokenBucket(1000, 1000, () => now)
  assert.equal(b.take(500), 0)
  assert.equal(b.take(500), 0)
  assert.equal(b.take(500), 500, 'half a second of debt')
  now += 1000
  assert.equal(b.take(250), 0, 'a second later the debt is paid and 250 bytes are free')
  assert.equal(new TokenBucket(Infinity).take(1e12), 0)
})
