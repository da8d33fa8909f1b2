import test from 'node:test'
import { createHash, randomBytes } from 'node:crypto'
import assert from 'node:assert/strict'
import DHT from 'hyperdht'
import type { SecretStream } from 'hyperdht'
import { onionInit } from '../../host/cli/actions/onion-options.ts'
import { ONION } from '../../host/constants.ts'
import { ClientCircuit } from '../../host/onion/index.ts'
import type { OnionRelayInit, RelayInfo } from '../../host/onion/index.ts'
import type { OnionStream } from '../../host/onion/onion-stream.ts'
import { ExitStream } from '../../host/onion/exit-stream.ts'
import type { ExitCircuit } from '../../host/onion/exit-stream.ts'
import { EventEmitter } from 'node:events'
import { CircuitPauses, PauseReasons } from '../../host/onion/pause-reasons.ts'
import { ONION_MAX_DATA, RELAY_CMD } from '../../host/messages.ts'
import { plainClient, readBytes } from '../helpers/hosts.ts'
import { until } from '../helpers/plugin-apps.ts'
import { startBareRelay } from '../helpers/onion.ts'
import { teardown } from '../helpers/teardown.ts'
import { startTestnet } from '../helpers/testnet.ts'

/**
 * What a relay holds for its circuits, against a hostile pair: a client that never acknowledges
 * (no SENDME) and a destination that writes without end. Pausing a HyperDHT stream does not
 * stop its sender, so only the relay's own counting bounds it: per circuit, and for the relay.
 */

test('a source paused for two reasons resumes only when both have cleared', () => {
  const calls: string[] = []
  const p = new PauseReasons({ pause: () => calls.push('pause'), resume: () => calls.push('resume') })
  p.add('rate')
  p.add('window')
  p.add('rate')
  assert.deepEqual(calls, ['pause'], 'paused once, however many reasons')
  p.delete('rate')
  assert.deepEqual(calls, ['pause'], 'the rate limit clearing does not resume a closed window')
  assert.ok(p.paused && p.has('window'))
  p.delete('rate')
  p.delete('drain')
  assert.deepEqual(calls, ['pause'], 'a reason that was not set clears nothing')
  p.delete('window')
  assert.deepEqual(calls, ['pause', 'resume'], 'the last reason cleared resumes')
  assert.equal(p.paused, false)
  p.add('drain')
  p.clear()
  assert.deepEqual(calls, ['pause', 'resume', 'pause'], 'clear (the circuit closed) does not resume')
})

test('--onion-max-memory sets the relay-wide budget; a size without a number, under what one circuit may hold, too big to be finite, or without --onion-relay is refused', () => {
  assert.deepEqual(onionInit({ onionRelay: true, onionMaxMemory: '96M' }), { onionRelay: { maxRelayHeldBytes: 96 * 1024 * 1024 } })
  assert.deepEqual(onionInit({ onionRelay: true, onionMaxMemory: '1G' }), { onionRelay: { maxRelayHeldBytes: 1024 ** 3 } })
  assert.deepEqual(onionInit({ onionRelay: true, onionMaxMemory: '64MIB' }), { onionRelay: { maxRelayHeldBytes: 64 * 1024 * 1024 } })
  assert.equal(ONION.minRelayHeldBytes, ONION.maxHeldBytes + ONION.maxExitWaitingBytes, 'the floor is what one circuit may hold')
  assert.deepEqual(onionInit({ onionRelay: true, onionMaxMemory: '20M' }), { onionRelay: { maxRelayHeldBytes: ONION.minRelayHeldBytes } })
  assert.throws(() => onionInit({ onionRelay: true, onionMaxMemory: 'lots' }), {
    code: 'USAGE',
    message: 'USAGE: --onion-max-memory: expected bytes of at least 20M (what one circuit may hold), such as 64M or 1G, got "lots"'
  })
  for (const small of ['0', '512K', '1M', '19M'])
    assert.throws(
      () => onionInit({ onionRelay: true, onionMaxMemory: small }),
      { code: 'USAGE', message: /--onion-max-memory: expected bytes of at least 20M/ },
      small
    )
  assert.throws(() => onionInit({ onionRelay: true, onionMaxMemory: '9'.repeat(400) }), {
    code: 'USAGE',
    message: /--onion-max-memory: expected bytes of at least 20M .*got "9{400}"$/
  })
  assert.throws(() => onionInit({ onionMaxMemory: '64M' }), { code: 'USAGE', message: /--onion-max-memory: these need --onion-relay/ })
})

test('a link paused for the rate and for a full next link reads again only once both have cleared', async () => {
  const calls: string[] = []
  const link = { pause: () => calls.push('pause'), resume: () => calls.push('resume') }
  const next = new EventEmitter()
  const pauses = new CircuitPauses()
  pauses.throttle(link, 30)
  pauses.untilDrain(next, link)
  next.emit('drain')
  assert.deepEqual(calls, ['pause'], 'the next link drained, but the rate still holds')
  await until(() => calls.length === 2, 'the rate wait over')
  assert.deepEqual(calls, ['pause', 'resume'])
  pauses.untilDrain(next, link)
  pauses.throttle(link, 30)
  await new Promise((resolve) => setTimeout(resolve, 60))
  assert.deepEqual(calls, ['pause', 'resume', 'pause'], 'the rate wait ended, but the next link is still full')
  pauses.close()
  next.emit('drain')
  assert.deepEqual(calls, ['pause', 'resume', 'pause'], 'a closed circuit resumes nothing')
})

test("the exit sends nothing back while its rate holds it, even once a SENDME opens the client's window", () => {
  const sent: number[] = []
  const pauses = new CircuitPauses()
  let windowClosed = false
  // the circuit's side of ExitStream, with the circuit's real pause reasons; the destination is a stand-in that takes every write
  const circuit: ExitCircuit = {
    sendMessage: (cmd) => (sent.push(cmd), true),
    waitDrain: () => {},
    pauseFor: (s, r) => {
      if (r === 'window') windowClosed = true
      pauses.pause(s, r)
    },
    resumeFor: (s, r) => pauses.resume(s, r),
    chargeRate: () => {},
    noteHeld: () => {}
  }
  const dest = { write: () => true, end() {}, once() {}, destroyed: false }
  const exit = new ExitStream(dest as never, circuit, null as never, true)
  const rest = 5000
  exit.fromDestination(Buffer.alloc(ONION.windowCells * ONION_MAX_DATA + rest))
  assert.equal(sent.length, ONION.windowCells, 'a window of DATA went')
  assert.ok(sent.every((cmd) => cmd === RELAY_CMD.DATA))
  assert.ok(windowClosed, 'then the window closed')
  assert.equal(exit.waitingLength, rest)
  circuit.pauseFor(exit, 'rate')
  exit.grant(ONION.sendmeCells)
  assert.equal(sent.length, ONION.windowCells, 'the SENDME cleared the window, but the rate limit still holds')
  assert.equal(exit.waitingLength, rest)
  circuit.resumeFor(exit, 'rate')
  assert.equal(sent.length, ONION.windowCells + Math.ceil(rest / ONION_MAX_DATA), 'the last reason cleared: the rest went')
  assert.equal(exit.waitingLength, 0)
})

test("a full link back stops the exit at once: a client without windows gets its backlog from the exit's count, not dumped into the link", () => {
  const sent: number[] = []
  const pauses = new CircuitPauses()
  const prev = new EventEmitter()
  let room = 3
  let noted = 0
  const circuit: ExitCircuit = {
    // the link back takes three cells, then says it is full
    sendMessage: (cmd) => (sent.push(cmd), --room > 0),
    waitDrain: (to, from) => pauses.untilDrain(to, from),
    pauseFor: (s, r) => pauses.pause(s, r),
    resumeFor: (s, r) => pauses.resume(s, r),
    chargeRate: () => {},
    noteHeld: () => noted++
  }
  const dest = { write: () => true, end() {}, once() {}, destroyed: false }
  const exit = new ExitStream(dest as never, circuit, prev as never, false)
  const read = 64 * 1024
  exit.fromDestination(Buffer.alloc(read))
  assert.equal(sent.length, 3, 'nothing more once the link said it is full, though the read was not all sent')
  exit.fromDestination(Buffer.alloc(read))
  assert.equal(sent.length, 3, 'the next read waits too')
  assert.equal(exit.waitingLength, 2 * read - 3 * ONION_MAX_DATA, 'the rest is held and counted by the exit')
  room = 5
  prev.emit('drain')
  assert.equal(sent.length, 8, 'a drain lets out what the link takes, then waits again')
  assert.equal(noted, 1, 'and what it let out is counted at once (no bytes arrived to trigger the count)')
  room = Infinity
  prev.emit('drain')
  assert.equal(sent.length, Math.ceil(read / ONION_MAX_DATA) * 2)
  assert.equal(exit.waitingLength, 0)
  pauses.close()
})

test("with windows, a destination that has not drained does not stop reading the client's link (its SENDMEs come on it)", () => {
  const drains: unknown[] = []
  const circuit: ExitCircuit = {
    sendMessage: () => true,
    waitDrain: (_to, from) => drains.push(from),
    pauseFor: () => {},
    resumeFor: () => {},
    chargeRate: () => {},
    noteHeld: () => {}
  }
  const prev = new EventEmitter()
  const dest = Object.assign(new EventEmitter(), { write: () => false, end() {}, destroyed: false })
  const windowed = new ExitStream(dest as never, circuit, prev as never, true)
  windowed.write(Buffer.alloc(ONION_MAX_DATA))
  windowed.end()
  assert.deepEqual(drains, [], 'the link back to the client keeps being read')
  const plain = new ExitStream(dest as never, circuit, prev as never, false)
  plain.write(Buffer.alloc(ONION_MAX_DATA))
  plain.end()
  assert.deepEqual(drains, [prev], 'a client without windows is slowed by reading its link less')
})

test('an onion relay bounds what it holds against a flooding destination and a client that never acknowledges', async (t) => {
  const defer = teardown(t)
  const testnet = await startTestnet(10)
  defer(() => testnet.destroy())

  const relay = (init: OnionRelayInit = {}) => startBareRelay(testnet, defer, { maxBytesPerSecond: Infinity, ...init })

  const destDht = plainClient(testnet)
  defer(() => destDht.destroy())
  // a destination that writes 64 KiB after 64 KiB for as long as its stream is open, honouring
  // drain (which a HyperDHT stream gives whether or not the other end reads)
  const floodKey = DHT.keyPair()
  const floods: SecretStream[] = []
  const flood = destDht.createServer({}, (s) => {
    floods.push(s)
    s.on('error', () => {})
    s.on('data', () => {})
    const chunk = Buffer.alloc(64 * 1024, 0x3c)
    const write = () => {
      while (!s.destroyed) if (!s.write(chunk)) return void s.once('drain', write)
    }
    write()
  })
  await flood.listen(floodKey)
  defer(() => flood.close())
  // and an echo
  const echoKey = DHT.keyPair()
  const echo = destDht.createServer({}, (s) => {
    s.on('error', () => {})
    s.pipe(s)
  })
  await echo.listen(echoKey)
  defer(() => echo.close())

  // and a download: `payload` at about 12.5 MiB/s (128 KiB every 10 ms, honouring drain),
  // faster than the relay's default rate, for longer than its burst and the exit's waiting
  // allowance last; then the end
  const payload = randomBytes(ONION.maxBytesPerSecond + ONION.maxExitWaitingBytes + 8 * 1024 * 1024)
  const downloadKey = DHT.keyPair()
  const download = destDht.createServer({}, (s) => {
    s.on('error', () => {})
    s.on('data', () => {})
    let off = 0
    let full = false
    const tick = setInterval(() => {
      if (full || s.destroyed) return
      if (off >= payload.byteLength) {
        clearInterval(tick)
        return void s.end()
      }
      full = !s.write(payload.subarray(off, off + 128 * 1024))
      off += 128 * 1024
      if (full) s.once('drain', () => (full = false))
    }, 10)
    s.on('close', () => clearInterval(tick))
  })
  await download.listen(downloadKey)
  defer(() => download.close())

  const dht = plainClient(testnet)
  defer(() => dht.destroy())
  await dht.ready()

  /** A stream from the flood whose client never sends a SENDME, and the error it ends with. */
  async function unacknowledged(info: RelayInfo): Promise<{ s: OnionStream; failed: Promise<Error & { code?: string; details?: Record<string, unknown> }> }> {
    const c = new ClientCircuit(dht, [info], 5000)
    await c.build()
    const s = await c.begin(floodKey.publicKey)
    // a hostile client: it reads, but never acknowledges
    ;(c as unknown as { end: { resume(): void } }).end.resume = () => {}
    const failed = new Promise<Error & { code?: string; details?: Record<string, unknown> }>((resolve) => s.once('error', resolve))
    s.on('data', () => {})
    return { s, failed }
  }

  await t.test(
    "at the default rate a download from a destination faster than the rate, bigger than the burst and the exit's waiting allowance, arrives whole, and an echo through the same relay answers meanwhile",
    async (sub) => {
      const { relay: r, info } = await relay({ maxBytesPerSecond: ONION.maxBytesPerSecond })
      const e = new ClientCircuit(dht, [info], 5000)
      await e.build()
      const echoed = (await e.begin(echoKey.publicKey)) as unknown as SecretStream
      const c = new ClientCircuit(dht, [info], 5000)
      await c.build()
      const s = await c.begin(downloadKey.publicKey)
      const hash = createHash('sha256')
      let got = 0
      let done = false
      const ended = new Promise<void>((resolve, reject) => {
        s.on('data', (d: Buffer) => {
          hash.update(d)
          got += d.byteLength
        })
        s.once('end', resolve)
        s.once('error', reject)
      })
      void ended.finally(() => (done = true)).catch(() => {})
      let trips = 0
      while (!done) {
        echoed.write('ping')
        const back = await readBytes(echoed, 4, 30_000)
        assert.equal(back.toString(), 'ping', `the echo answered during the download (after ${got} bytes)`)
        trips++
      }
      await ended
      assert.equal(got, payload.byteLength, 'every byte arrived')
      assert.equal(hash.digest('hex'), createHash('sha256').update(payload).digest('hex'), 'and intact')
      const st = r.status()
      assert.equal(st.limited, 0, 'no circuit ended for its cap')
      assert.equal(st.shed, 0)
      sub.diagnostic(`${got} bytes, ${trips} echo round trips meanwhile`)
      s.destroy()
      ;(echoed as unknown as OnionStream).destroy()
    }
  )

  await t.test('an upload echoed back as it goes (bulk both ways, at the default rate) arrives whole, every circuit within its cap', async (sub) => {
    const { relay: r, info } = await relay({ maxBytesPerSecond: ONION.maxBytesPerSecond })
    const c = new ClientCircuit(dht, [info], 5000)
    await c.build()
    const s = await c.begin(echoKey.publicKey)
    const upload = payload.subarray(0, 12 * 1024 * 1024)
    const hash = createHash('sha256')
    let got = 0
    const back = new Promise<void>((resolve, reject) => {
      s.on('data', (d: Buffer) => {
        hash.update(d)
        got += d.byteLength
        if (got >= upload.byteLength) resolve()
      })
      s.once('error', reject)
    })
    s.end(upload)
    await back
    assert.equal(got, upload.byteLength)
    assert.equal(hash.digest('hex'), createHash('sha256').update(upload).digest('hex'), 'every byte came back, intact')
    assert.equal(r.status().limited, 0)
    sub.diagnostic(`${got} bytes up and back`)
    s.destroy()
  })

  await t.test(
    'the exit holds at most its cap for a client that never acknowledges, then ends the circuit with LIMIT and drops the destination',
    async (sub) => {
      const { relay: r, info } = await relay()
      const before = floods.length
      let most = 0
      const sample = setInterval(() => (most = Math.max(most, r.status().held)), 5)
      defer(() => clearInterval(sample))
      const { failed } = await unacknowledged(info)
      const err = await failed
      clearInterval(sample)
      assert.equal(err.code, 'CIRCUIT_FAILED')
      assert.equal(err.details?.reason, 'limit', err.message)
      const st = r.status()
      assert.equal(st.limited, 1, 'counted as a circuit over its cap')
      assert.equal(st.shed, 0)
      const cap = ONION.maxHeldBytes + ONION.maxExitWaitingBytes
      assert.ok(most <= cap, `the relay held at most ${cap} bytes for the circuit (${most})`)
      assert.ok(most > ONION.maxExitWaitingBytes / 2, `the flood was held, not stopped elsewhere (${most})`)
      sub.diagnostic(`most held ${most} bytes (cap ${cap})`)
      await until(() => r.status().circuits === 0, 'the circuit gone')
      assert.equal(r.status().held, 0, 'what it held is freed')
      await until(() => floods.length > before && floods[floods.length - 1].destroyed, "the destination's stream destroyed")
    }
  )

  await t.test('through three relays the exit holds the flood and ends it; the relays before it hold about a window', async (sub) => {
    const path = [await relay(), await relay(), await relay()]
    let most = [0, 0, 0]
    const sample = setInterval(() => (most = path.map(({ relay: r }, i) => Math.max(most[i], r.status().held))), 5)
    defer(() => clearInterval(sample))
    const c = new ClientCircuit(
      dht,
      path.map((p) => p.info),
      5000
    )
    await c.build()
    const s = await c.begin(floodKey.publicKey)
    ;(c as unknown as { end: { resume(): void } }).end.resume = () => {}
    const failed = new Promise<Error & { details?: Record<string, unknown> }>((resolve) => s.once('error', resolve))
    s.on('data', () => {})
    const err = await failed
    clearInterval(sample)
    assert.equal(err.details?.reason, 'limit', err.message)
    assert.deepEqual(
      path.map(({ relay: r }) => r.status().limited),
      [0, 0, 1],
      'the exit ended it; the others passed the DESTROY on'
    )
    const window = ONION.windowCells * 1024
    sub.diagnostic(`most held: ${most.join(', ')} bytes`)
    assert.ok(most[0] < 2 * window && most[1] < 2 * window, `the first two relays held at most about a window (${most})`)
    assert.ok(most[2] <= ONION.maxHeldBytes + ONION.maxExitWaitingBytes, `the exit held at most its cap (${most[2]})`)
  })

  await t.test('over the relay-wide budget the circuit holding the most ends with LIMIT; a small circuit through the same relay carries on', async () => {
    const budget = 3 * 1024 * 1024
    const { relay: r, info } = await relay({ maxRelayHeldBytes: budget })
    const c = new ClientCircuit(dht, [info], 5000)
    await c.build()
    const small = await c.begin(echoKey.publicKey)
    small.write('before')
    assert.equal((await readBytes(small as unknown as SecretStream, 6)).toString(), 'before')
    const { failed } = await unacknowledged(info)
    const err = await failed
    assert.equal(err.details?.reason, 'limit', err.message)
    const st = r.status()
    assert.equal(st.shed, 1, 'one circuit shed for the relay')
    assert.equal(st.limited, 0, 'under its own cap: the relay budget tripped first')
    assert.equal(st.maxHeld, budget)
    await until(() => r.status().circuits === 1, 'only the small circuit left')
    small.write('after')
    assert.equal((await readBytes(small as unknown as SecretStream, 5)).toString(), 'after', 'the small circuit still echoes')
    small.destroy()
  })
})
