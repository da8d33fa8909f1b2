import test from 'node:test'
import assert from 'node:assert/strict'
import DHT from 'hyperdht'
import type { SecretStream } from 'hyperdht'
import { ONION_REASON } from '../../host/constants.ts'
import sodium from 'sodium-native'
import {
  CELL,
  ONION_CELL_BYTES,
  RELAY_CMD,
  decodeExact,
  encode,
  onionCell,
  onionEstablishIntro,
  onionIntroduce,
  onionMessage,
  onionReason,
  onionReasonBody
} from '../../host/messages.ts'
import { introSignable } from '../../host/onion/hidden-relay.ts'
import { ClientCircuit } from '../../host/onion/index.ts'
import type { RelayInfo } from '../../host/onion/index.ts'
import { sealOnion } from '../../host/onion/client-layers.ts'
import type { HopCipher } from '../../host/onion/onion-layers.ts'
import type { CellLink } from '../../host/onion/cell-link.ts'
import { openStream, readBytes } from '../helpers/hosts.ts'
import { sleep, until } from '../helpers/plugin-apps.ts'
import { startRelayProcess } from '../helpers/relay-process.ts'
import type { RelayProcess } from '../helpers/relay-process.ts'
import { teardown } from '../helpers/teardown.ts'
import { startTestnet } from '../helpers/testnet.ts'

/**
 * Relays under attack, each in a child process of its own (so its RSS is its own and a crash
 * shows): a client opening circuits as fast as it can from one address, links that never send
 * CREATE, and malformed cells injected on live circuits, at the first hop and (through a
 * layer the attacker can make) at the second. The relay stays up, keeps carrying the other
 * circuits, refuses over its limits, and lets a newcomer from another address in.
 * Figures are printed with `# figure` for the README.
 */

const FLOOD_MS = 5000
const FLOOD_CONCURRENCY = 24

function figure(what: string, data: Record<string, unknown>): void {
  console.log(`# figure ${what}: ${JSON.stringify(data)}`)
}

test('onion relays under a circuit flood and malformed cells', async (t) => {
  const defer = teardown(t)
  const testnet = await startTestnet(10)
  defer(() => testnet.destroy())
  const nodes: DHT[] = []
  function node(host: string): DHT {
    const d = new DHT({ bootstrap: testnet.bootstrap, host })
    nodes.push(d)
    defer(() => d.destroy())
    return d
  }
  async function relay(init: Parameters<typeof startRelayProcess>[1] = {}): Promise<RelayProcess> {
    const r = await startRelayProcess(testnet.bootstrap, { maxBytesPerSecond: Infinity, extendTimeoutMs: 3000, ...init })
    defer(() => r.stop())
    return r
  }

  // an echo destination, and clients on two loopback addresses: 127.0.0.2 floods
  const destKey = DHT.keyPair()
  const server = node('127.0.0.1').createServer({}, (s) => {
    s.on('error', () => {})
    s.pipe(s)
  })
  await server.listen(destKey)
  defer(() => server.close())
  const honest = node('127.0.0.1')
  const flooder = node('127.0.0.2')
  await Promise.all(nodes.map((n) => n.ready()))

  async function circuit(dht: DHT, path: RelayInfo[]): Promise<ClientCircuit> {
    const c = new ClientCircuit(dht, path, 5000)
    await c.build()
    return c
  }
  async function echo(s: SecretStream, text: string): Promise<string> {
    s.write(text)
    return (await readBytes(s, Buffer.byteLength(text), 5000)).toString()
  }

  await t.test('one address flooding circuits cannot lock others out; the relay stays up and keeps carrying its circuits', async () => {
    const r = await relay()
    const before = await r.status()
    const bystander = (await (await circuit(honest, [r.info])).begin(destKey.publicKey)) as unknown as SecretStream
    assert.equal(await echo(bystander, 'before'), 'before')

    const held: ClientCircuit[] = []
    defer(() => held.forEach((c) => c.close()))
    const counts = { served: 0, refused: 0, evicted: 0, other: 0 }
    const errors = new Map<string, number>()
    let flooding = true
    const started = Date.now()
    const worker = async () => {
      while (flooding) {
        let built = false
        const c = new ClientCircuit(flooder, [r.info], 5000, (err) => {
          if (built && err.details?.reason === 'limit') counts.evicted++
        })
        try {
          await c.build()
          built = true
          counts.served++
          held.push(c)
        } catch (err) {
          const reason = String((err as { details?: { reason?: string } }).details?.reason ?? (err as Error).message)
          if (reason === 'limit') counts.refused++
          else {
            counts.other++
            errors.set(reason, (errors.get(reason) ?? 0) + 1)
          }
        }
      }
    }
    const workers = Array.from({ length: FLOOD_CONCURRENCY }, worker)
    // the bystander's circuit keeps carrying its bytes all through the flood
    let echoes = 0
    let slowest = 0
    while (Date.now() - started < FLOOD_MS) {
      const t0 = Date.now()
      assert.equal(await echo(bystander, `ping ${echoes}`), `ping ${echoes}`)
      slowest = Math.max(slowest, Date.now() - t0)
      echoes++
      await sleep(100)
    }
    const during = await r.status()
    // a newcomer from another address gets a circuit while the flood goes on
    const t0 = Date.now()
    const newcomer = await circuit(honest, [r.info])
      .then((c) => c.begin(destKey.publicKey))
      .catch((err: Error) => err)
    const newcomerMs = Date.now() - t0
    flooding = false
    await Promise.all(workers)
    const seconds = (Date.now() - started) / 1000
    const after = await r.status()
    figure('circuit flood', {
      seconds: Math.round(seconds * 10) / 10,
      served: counts.served,
      refused: counts.refused,
      evictedSeenByFlooder: counts.evicted,
      otherFailures: Object.fromEntries(errors),
      servedPerSecond: Math.round(counts.served / seconds),
      refusedPerSecond: Math.round(counts.refused / seconds),
      relay: {
        accepted: after.status.accepted,
        refused: after.status.refused,
        evicted: after.status.evicted,
        circuitsDuringFlood: during.status.circuits,
        max: after.status.maxCircuits
      },
      relayRssMiB: { before: Math.round(before.rssMiB), duringFlood: Math.round(during.rssMiB), after: Math.round(after.rssMiB) },
      bystanderEchoes: echoes,
      bystanderSlowestEchoMs: slowest,
      newcomer: newcomer instanceof Error ? newcomer.message : `in after ${newcomerMs} ms`
    })
    if (newcomer instanceof Error) throw newcomer
    assert.equal(await echo(newcomer as unknown as SecretStream, 'newcomer'), 'newcomer')
    assert.ok(r.alive(), 'the relay process is up')
    assert.ok(during.status.circuits <= during.status.maxCircuits, 'never more circuits than the limit')
    assert.ok(counts.refused > 0, 'the flood was refused over the limit')
    assert.ok(during.rssMiB < 400, `relay RSS ${Math.round(during.rssMiB)} MiB stays bounded`)
    assert.equal(await echo(bystander, 'after'), 'after', 'the bystander circuit survived the flood')
    newcomer.destroy()
    bystander.destroy()
    held.forEach((c) => c.close())
    await until(async () => (await r.status()).status.circuits === 0, 'every circuit gone', 15_000)
  })

  await t.test('links that never send CREATE are dropped after the create timeout, freeing their slots', async () => {
    const r = await relay({ maxCircuits: 8, createTimeoutMs: 1000 })
    // from the newcomer's own address: nobody is heavier, so only the timeout can free a slot
    const idle = await Promise.all(Array.from({ length: 8 }, () => openStream(honest, r.info.relayKey, DHT.keyPair())))
    const closed = idle.map((s) => new Promise((resolve) => s.once('close', resolve)))
    idle.forEach((s) => s.on('error', () => {}))
    await until(async () => (await r.status()).status.circuits === 8, 'the relay full of idle links')
    await assert.rejects(
      circuit(honest, [r.info]),
      (err: Error & { code?: string; details?: Record<string, unknown> }) => err.code === 'CIRCUIT_FAILED' && err.details?.reason === 'limit'
    )
    await Promise.race([Promise.all(closed), sleep(5000).then(() => assert.fail('idle links were never dropped'))])
    const c = await circuit(honest, [r.info])
    const s = (await c.begin(destKey.publicKey)) as unknown as SecretStream
    assert.equal(await echo(s, 'in'), 'in')
    s.destroy()
  })

  await t.test('malformed cells on live circuits end those circuits only; the relays stay up and keep carrying the rest', async () => {
    const r1 = await relay()
    const r2 = await relay()
    const path = [r1.info, r2.info]
    const bystander = (await (await circuit(honest, path)).begin(destKey.publicKey)) as unknown as SecretStream
    assert.equal(await echo(bystander, 'before'), 'before')
    const rand = (n: number) => Buffer.from(Array.from({ length: n }, () => Math.floor(Math.random() * 256)))
    const internals = (c: ClientCircuit) => {
      const i = c as unknown as { link: CellLink; layers: { hops: HopCipher[] } }
      return { link: i.link, hops: i.layers.hops }
    }
    // each kind: what an attacker on the client's side of an established circuit can write
    const kinds: Record<string, (c: ClientCircuit) => void> = {
      'random bytes': (c) => internals(c).link.stream.write(rand(ONION_CELL_BYTES)),
      'random RELAY body': (c) => internals(c).link.stream.write(encode(onionCell, { type: CELL.RELAY, body: rand(1022) })),
      'a real cell, one bit flipped': (c) => {
        const cell = encode(onionCell, {
          type: CELL.RELAY,
          body: sealOnion(internals(c).hops, encode(onionMessage, { cmd: RELAY_CMD.DATA, data: Buffer.from('x') }))
        })
        cell[2 + Math.floor(Math.random() * 1022)] ^= 1 << Math.floor(Math.random() * 8)
        internals(c).link.stream.write(cell)
      },
      'garbage for the second hop under a valid first layer': (c) =>
        internals(c).link.stream.write(encode(onionCell, { type: CELL.RELAY, body: sealOnion(internals(c).hops.slice(0, 1), rand(974)) })),
      'valid layers, a random relay message': (c) =>
        internals(c).link.stream.write(encode(onionCell, { type: CELL.RELAY, body: sealOnion(internals(c).hops, rand(974)) })),
      'CREATE again': (c) => internals(c).link.stream.write(encode(onionCell, { type: CELL.CREATE, body: rand(1022) })),
      'a garbled DESTROY': (c) => internals(c).link.stream.write(encode(onionCell, { type: CELL.DESTROY, body: rand(1022) })),
      'an unknown cell type': (c) =>
        internals(c).link.stream.write(encode(onionCell, { type: 200, body: encode(onionReasonBody, { reason: ONION_REASON.DONE }) }))
    }
    const PER_KIND = 12
    const t0 = Date.now()
    let injected = 0
    for (const [kind, inject] of Object.entries(kinds)) {
      const batch = await Promise.all(Array.from({ length: PER_KIND }, () => circuit(honest, path)))
      const ended = batch.map((c) => new Promise<void>((resolve) => (c.onEnd = resolve)))
      batch.forEach((c) => inject(c))
      injected += batch.length
      await Promise.race([Promise.all(ended), sleep(8000).then(() => assert.fail(`${kind}: a circuit outlived its malformed cell`))])
      assert.ok(r1.alive() && r2.alive(), `${kind}: both relays are up`)
      assert.equal(await echo(bystander, kind), kind, `${kind}: the bystander circuit still carries bytes`)
    }
    await until(
      async () => (await r1.status()).status.circuits === 1 && (await r2.status()).status.circuits === 1,
      'only the bystander left on both relays',
      10_000
    )
    const s1 = await r1.status()
    const s2 = await r2.status()
    figure('malformed cells', {
      injected,
      kinds: Object.keys(kinds).length,
      seconds: (Date.now() - t0) / 1000,
      relayRssMiB: [Math.round(s1.rssMiB), Math.round(s2.rssMiB)],
      accepted: [s1.status.accepted, s2.status.accepted]
    })
    bystander.destroy()
  })

  await t.test('an introduction flood: one INTRODUCE1 per circuit reaches the service, a second ends that circuit', async () => {
    const r = await relay()
    // a hidden service's introduction circuit, made by hand
    const hidden = DHT.keyPair()
    const service = await circuit(honest, [r.info])
    const signature = Buffer.alloc(64)
    sodium.crypto_sign_detached(signature, introSignable(service.lastBinding, hidden.publicKey), hidden.secretKey)
    await service.request(
      RELAY_CMD.ESTABLISH_INTRO,
      encode(onionEstablishIntro, { serviceKey: hidden.publicKey, signature }),
      RELAY_CMD.INTRO_ESTABLISHED,
      'intro'
    )
    let introduced = 0
    service.onMessage = (msg) => msg.cmd === RELAY_CMD.INTRODUCE2 && ++introduced > 0
    const introduce1 = encode(onionIntroduce, { serviceKey: hidden.publicKey, sealed: Buffer.alloc(120, 7) })

    // one circuit writing INTRODUCE1 as fast as it can
    const flood = await circuit(flooder, [r.info])
    const ended = new Promise<void>((resolve) => (flood.onEnd = resolve))
    const t0 = Date.now()
    let sent = 0
    while (!flood.closed && sent < 2000) {
      flood.sendMessage(RELAY_CMD.INTRODUCE1, introduce1)
      sent++
      if (sent % 64 === 0) await sleep(0)
    }
    await Promise.race([ended, sleep(5000)])
    await sleep(300)
    const oneCircuit = { sent, reachedService: introduced, floodCircuitClosed: flood.closed, ms: Date.now() - t0 }

    // many circuits, one INTRODUCE1 each (what honest clients send): each is passed on
    introduced = 0
    const t1 = Date.now()
    let acked = 0
    const deadline = Date.now() + 3000
    await Promise.all(
      Array.from({ length: 8 }, async () => {
        while (Date.now() < deadline) {
          const c = await circuit(flooder, [r.info])
          const ack = await c.request(RELAY_CMD.INTRODUCE1, introduce1, RELAY_CMD.INTRODUCE_ACK, 'introduce')
          if (decodeExact(onionReason, ack.data, 'ack').reason === ONION_REASON.DONE) acked++
          c.close()
        }
      })
    )
    await sleep(300)
    const st = await r.status()
    figure('introduction flood', {
      oneCircuit,
      circuitPerIntroduction: { acked, reachedService: introduced, perSecond: Math.round(acked / ((Date.now() - t1) / 1000)) },
      relayRssMiB: Math.round(st.rssMiB)
    })
    assert.ok(r.alive(), 'the relay is up')
    assert.ok(oneCircuit.reachedService <= 1, `one circuit passed ${oneCircuit.reachedService} introductions on`)
    assert.ok(oneCircuit.floodCircuitClosed, 'the flooding circuit was ended')
    assert.equal(introduced, acked, 'every introduction acknowledged reached the service')
    assert.ok(!service.closed, "the service's introduction circuit survived the flood")
    service.close()
  })
})
