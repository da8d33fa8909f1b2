import test from 'node:test'
import assert from 'node:assert/strict'
import { mkdtemp } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { SecretStream } from 'hyperdht'
import { formatId } from '../../host/encoding/ids.ts'
import { CELL, ONION_BODY_BYTES } from '../../host/messages.ts'
import { HopCipher } from '../../host/onion/onion-layers.ts'
import { ClientCircuit, OnionClient, findOnionRelays } from '../../host/onion/index.ts'
import { HypernetError } from '../../host/errors.ts'
import type { OnionStream, RelayObservation } from '../../host/onion/index.ts'
import type { DialTarget } from '../../host/plugins/index.ts'
import { cli } from '../helpers/cli.ts'
import { plainClient, readBytes, removeHome } from '../helpers/hosts.ts'
import { startEchoHost, startRelayHosts } from '../helpers/onion.ts'
import type { RelayViews } from '../helpers/onion.ts'
import { until } from '../helpers/plugin-apps.ts'
import { teardown } from '../helpers/teardown.ts'
import { startTestnet } from '../helpers/testnet.ts'

const RELAYS = 6

async function roundTrip(s: OnionStream, text: string): Promise<string> {
  s.write(Buffer.from(text))
  return (await readBytes(s as unknown as SecretStream, Buffer.byteLength(text))).toString()
}

function circuitOf(views: RelayViews, relayKey: string): RelayObservation[] {
  const seen = views.get(relayKey) ?? []
  const last = seen.at(-1)
  return last ? seen.filter((o) => o.circuit === last.circuit) : []
}

test('onion circuits through relay hosts on a local DHT', async (t) => {
  const defer = teardown(t)
  const testnet = await startTestnet(10)
  defer(() => testnet.destroy())

  // the destination: a host running the echo plugin; its view of each peer is recorded
  const { echoHost, echo, peersSeen } = await startEchoHost(testnet, defer)

  // relay hosts, each instrumented
  const { relays, views } = await startRelayHosts(testnet, RELAYS, defer)
  const hostKeys = new Set(relays.map((r) => formatId(r.host.identity!.publicKey)))

  // the client: a bare DHT node, no host at all
  const dht = plainClient(testnet)
  defer(() => dht.destroy())
  await dht.ready()
  const client = new OnionClient(dht, { timeoutMs: 10_000, lookupTimeoutMs: 3000 })
  defer(() => client.close())

  await t.test('a verified lookup of the relay service hash finds every relay host', async () => {
    const found = await until(
      async () => {
        const r = await findOnionRelays(dht, { timeoutMs: 3000 })
        return r.length === RELAYS ? r : null
      },
      'all relays advertised',
      20_000
    )
    assert.deepEqual(new Set(found.map((r) => r.hostKey)), hostKeys)
    assert.deepEqual(new Set(found.map((r) => r.relayKey)), new Set(views.keys()))
    assert.equal(echoHost.host.status().onionRelay, undefined, 'a host without --onion-relay is no relay')
  })

  // every key the destination must not see
  const known = () => [formatId(dht.defaultKeyPair.publicKey), ...hostKeys, ...views.keys()]

  let stream: OnionStream
  await t.test('bytes flow both ways through a three-hop circuit to the echo plugin', async () => {
    stream = await client.connect(Buffer.from(echo.key, 'hex'))
    assert.equal(stream.path.length, 3)
    assert.equal(new Set(stream.path.map((r) => r.hostKey)).size, 3, 'three distinct hosts')
    assert.equal(await roundTrip(stream, 'hello through three relays'), 'hello through three relays')
    // bigger than one cell, so it is cut and reassembled
    const big = Buffer.alloc(50_000, 7)
    stream.write(big)
    assert.deepEqual(await readBytes(stream as unknown as SecretStream, big.length), big)
  })

  await t.test("the destination sees a fresh key from the exit, not the client's", async () => {
    assert.equal(peersSeen.length, 1)
    assert.ok(!known().includes(peersSeen[0].key), 'neither the client, a relay host nor a relay key')
    const exit = circuitOf(views, stream.path[2].relayKey)
    assert.deepEqual(
      exit.map((o) => o.kind),
      ['prev', 'destination']
    )
    assert.equal(exit[1].key, echo.key)
  })

  await t.test("each relay's view holds only its neighbours", async () => {
    const [r1, r2, r3] = stream.path.map((r) => circuitOf(views, r.relayKey))
    const clientAddress = r1[0].address
    assert.ok(clientAddress, 'the first relay sees where the client connects from')
    assert.deepEqual(
      r1.map((o) => o.kind),
      ['prev', 'next']
    )
    assert.deepEqual(
      r2.map((o) => o.kind),
      ['prev', 'next']
    )
    assert.equal(r1[1].key, stream.path[1].relayKey, 'relay 1 knows relay 2 only')
    assert.equal(r2[1].key, stream.path[2].relayKey, 'relay 2 knows relay 3 only')
    for (const [i, view] of [r1, r2, r3].entries()) {
      const keys = view.map((o) => o.key)
      if (i < 2) assert.ok(!keys.includes(echo.key), `relay ${i + 1} never learns the destination`)
      assert.ok(!keys.includes(formatId(dht.defaultKeyPair.publicKey)), `relay ${i + 1} never sees a client key`)
      for (const hk of hostKeys) assert.ok(!keys.includes(hk), `relay ${i + 1} never sees a host key`)
      for (let j = 0; j < 3; j++) if (j !== i + 1) assert.ok(!keys.includes(stream.path[j].relayKey), `relay ${i + 1} does not learn relay ${j + 1}`)
      if (i > 0) assert.notEqual(view[0].address, clientAddress, `relay ${i + 1} never sees the client's address`)
    }
    assert.notEqual(peersSeen[0].address, clientAddress, "the destination never sees the client's address")
    stream.destroy()
  })

  await t.test('hypernet-host connect --anonymous joins the echo service to stdin/stdout', async () => {
    const home = await mkdtemp(join(tmpdir(), 'hn-cli-'))
    defer(() => removeHome(home))
    const r = await cli(home, ['connect', '--anonymous', echo.hash, '--bootstrap', `127.0.0.1:${testnet.bootstrap[0].port}`, '--timeout', '10'], {
      answer: 'ping through onions'
    })
    assert.equal(r.code, 0, r.stderr)
    assert.equal(r.stdout, 'ping through onions\n')
    assert.match(r.stderr, new RegExp(`connected anonymously to service key ${echo.key} via relays`))
    assert.equal(peersSeen.length, 2)
    assert.ok(!known().includes(peersSeen[1].key))
  })

  await t.test('start refuses onion limits without --onion-relay', async () => {
    const home = await mkdtemp(join(tmpdir(), 'hn-cli-'))
    defer(() => removeHome(home))
    const r = await cli(home, ['start', '--onion-max-circuits', '5'])
    assert.equal(r.code, 2)
    assert.match(r.stderr, /USAGE: --onion-max-circuits, --onion-max-bandwidth, --onion-max-memory: these need --onion-relay/)
  })

  await t.test('a tampered cell from the client is caught by the first relay and the circuit torn down', async () => {
    const s = await client.connect(Buffer.from(echo.key, 'hex'))
    assert.equal(await roundTrip(s, 'before'), 'before')
    const circuit = (s as unknown as { circuit: { link: { send(type: number, body: Buffer): boolean } } }).circuit
    const failed = new Promise<Error>((resolve) => s.once('error', resolve))
    const junk = Buffer.alloc(ONION_BODY_BYTES, 0x5a)
    circuit.link.send(CELL.RELAY, junk)
    const err = (await failed) as Error & { code?: string }
    assert.equal(err.code, 'CIRCUIT_TAMPERED')
    await until(() => relays.every((r) => r.host.onionRelay!.status().circuits === 0), 'every hop torn down')
  })

  await t.test('a relay that alters a cell it forwards is caught by the next hop', async () => {
    const s = await client.connect(Buffer.from(echo.key, 'hex'))
    assert.equal(await roundTrip(s, 'before'), 'before')
    const peel = HopCipher.prototype.peel
    // the next relay to peel a cell flips one bit of what it forwards, once
    HopCipher.prototype.peel = function (body, where) {
      HopCipher.prototype.peel = peel
      const out = peel.call(this, body, where)
      out[100] ^= 1
      return out
    }
    try {
      const failed = new Promise<Error>((resolve) => s.once('error', resolve))
      s.write(Buffer.from('altered on the way'))
      const err = (await failed) as Error & { code?: string }
      assert.equal(err.code, 'CIRCUIT_TAMPERED')
    } finally {
      HopCipher.prototype.peel = peel
    }
    await until(() => relays.every((r) => r.host.onionRelay!.status().circuits === 0), 'every hop torn down')
  })

  await t.test("a plugin's anonymous/ dial goes through a circuit, never through its own host's relay", async () => {
    const dialer = relays[0].host.parts.dialer as unknown as { dial(t: DialTarget, app: string): Promise<OnionStream> }
    const before = peersSeen.length
    const s = await dialer.dial({ raw: `anonymous/${echo.hash}`, serviceHash: Buffer.from(echo.hash, 'hex'), serviceKey: null, self: null }, 'test-app')
    assert.equal(await roundTrip(s, 'a plugin, anonymously'), 'a plugin, anonymously')
    assert.ok(!s.path.some((r) => r.hostKey === formatId(relays[0].host.identity!.publicKey)))
    assert.equal(peersSeen.length, before + 1)
    assert.ok(!known().includes(peersSeen[before].key))
    s.destroy()
  })

  await t.test('a relay dying mid-circuit fails the stream cleanly, and a rebuilt circuit works', async () => {
    const s = await client.connect(Buffer.from(echo.key, 'hex'))
    assert.equal(await roundTrip(s, 'before the crash'), 'before the crash')
    const middle = relays.find((r) => formatId(r.host.onionRelay!.publicKey) === s.path[1].relayKey)!
    const failed = new Promise<Error>((resolve) => s.once('error', resolve))
    // a crash: the relay's node goes away without a word (no DESTROY cells)
    await middle.host.dht!.destroy({ force: true })
    const err = (await failed) as Error & { code?: string; details?: Record<string, unknown> }
    assert.equal(err.code, 'CIRCUIT_FAILED')
    assert.equal(err.details?.reason, 'hop-lost')
    assert.equal(err.details?.relay, s.path[1].relayKey, 'the first relay names the one that went away')
    assert.match(err.message, /relay 2 went away/)
    // the dead relay is still advertised, but the client now avoids it
    assert.ok(client.avoiding().includes(s.path[1].relayKey))
    const again = await client.connect(Buffer.from(echo.key, 'hex'))
    assert.ok(!again.path.some((r) => r.relayKey === s.path[1].relayKey))
    assert.equal(await roundTrip(again, 'after the crash'), 'after the crash')
    again.destroy()
  })

  await t.test('a client with pre-built circuits extends one by a hop per connect, and builds afresh when one went stale', async () => {
    const pooled = new OnionClient(dht, { timeoutMs: 10_000, lookupTimeoutMs: 3000, prebuilt: 1 })
    defer(() => pooled.close())
    const extend = ClientCircuit.prototype.extend
    let extended = 0
    ClientCircuit.prototype.extend = function (this: ClientCircuit, relay) {
      extended++
      return extend.call(this, relay)
    }
    defer(() => (ClientCircuit.prototype.extend = extend))
    const first = await pooled.connect(Buffer.from(echo.key, 'hex'))
    first.destroy()
    await until(() => pooled.prebuiltCount() === 1, 'one circuit built ahead', 45_000)
    const s = await pooled.connect(Buffer.from(echo.key, 'hex'))
    assert.equal(extended, 1, 'the waiting circuit was extended to an exit')
    assert.equal(s.path.length, 3)
    assert.equal(await roundTrip(s, 'through a pre-built circuit'), 'through a pre-built circuit')
    s.destroy()
    // a waiting circuit that fails when extended is replaced by a fresh build, not an error
    await until(() => pooled.prebuiltCount() === 1, 'one circuit built ahead again', 45_000)
    ClientCircuit.prototype.extend = function () {
      ClientCircuit.prototype.extend = extend
      return Promise.reject(HypernetError.CIRCUIT_FAILED('the circuit closed before it could be extended', 'hop-lost'))
    }
    const again = await pooled.connect(Buffer.from(echo.key, 'hex'))
    assert.equal(await roundTrip(again, 'after a stale one'), 'after a stale one')
    again.destroy()
  })
})
