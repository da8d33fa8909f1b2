import test from 'node:test'
import assert from 'node:assert/strict'
import { mkdtemp, readFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { SecretStream } from 'hyperdht'
import DHT from 'hyperdht'
import { installExamples } from '../../host/demo/install-examples.ts'
import { fetchDescriptor } from '../../host/dns/descriptor.ts'
import { lookupVerified } from '../../host/dns/lookup.ts'
import { formatId } from '../../host/encoding/ids.ts'
import { RELAY_CMD, decodeExact, encode, onionEstablishIntro, onionFetch, onionIntroduce, onionReason, onionRecord } from '../../host/messages.ts'
import { signDescriptor } from '../../host/onion/hidden-record.ts'
import { ONION_REASON } from '../../host/constants.ts'
import { ClientCircuit, OnionClient, connectHidden } from '../../host/onion/index.ts'
import type { DialTarget, DuplexLike } from '../../host/plugins/index.ts'
import { cli } from '../helpers/cli.ts'
import { plainClient, readBytes, removeHome, startHost } from '../helpers/hosts.ts'
import { startRelayHosts } from '../helpers/onion.ts'
import { until } from '../helpers/plugin-apps.ts'
import { teardown } from '../helpers/teardown.ts'
import { startTestnet } from '../helpers/testnet.ts'

const RELAYS = 8

async function roundTrip(s: SecretStream, text: string): Promise<string> {
  s.write(Buffer.from(text))
  return (await readBytes(s, Buffer.byteLength(text))).toString()
}

test('hidden services: reachable by key through relays, their host published nowhere', async (t) => {
  const defer = teardown(t)
  const testnet = await startTestnet(10)
  defer(() => testnet.destroy())

  // every circuit built in this process, by DHT node: which relay saw its owner's address
  const built: Array<{ dht: unknown; first: string }> = []
  const build = ClientCircuit.prototype.build
  ClientCircuit.prototype.build = function (this: ClientCircuit) {
    built.push({ dht: (this as unknown as { dht: unknown }).dht, first: this.path[0].relayKey })
    return build.call(this)
  }
  defer(() => (ClientCircuit.prototype.build = build))

  // relay hosts first, each instrumented, so the hidden service finds them at once
  const { relays, views } = await startRelayHosts(testnet, RELAYS, defer)
  const relayHostKeys = relays.map((r) => formatId(r.host.identity!.publicKey))

  // the hidden host: echo installed, run only as a hidden service
  const home = await mkdtemp(join(tmpdir(), 'hn-hidden-'))
  defer(() => removeHome(home))
  await installExamples(home, ['echo'])
  const hidden = await startHost(testnet, home, { hidden: [{ app: 'echo', service: null }] })
  defer(() => hidden.close())
  const hostKey = formatId(hidden.host.identity!.publicKey)
  const peersSeen: string[] = []
  const runtime = hidden.host.runtime!
  const handle = runtime.handleConnection.bind(runtime)
  runtime.handleConnection = (app: string, service: string, stream: DuplexLike) => {
    peersSeen.push(formatId((stream as SecretStream).remotePublicKey))
    handle(app, service, stream)
  }

  const st = await until(
    () => {
      const h = hidden.host.status().hidden?.[0]
      return h && h.intros.length === 3 && h.published ? h : null
    },
    'three intro points and a published descriptor',
    30_000
  )
  const key = Buffer.from(st.key, 'hex')
  assert.equal(st.app, 'echo')
  assert.ok(!st.intros.some((k) => k === formatId(hidden.host.onionRelay?.publicKey ?? Buffer.alloc(32))))

  // the client: a bare DHT node, no host at all
  const dht = plainClient(testnet)
  defer(() => dht.destroy())
  await dht.ready()
  const client = new OnionClient(dht, { timeoutMs: 10_000, lookupTimeoutMs: 3000 })
  defer(() => client.close())

  await t.test("the service's public address is published nowhere", async () => {
    assert.deepEqual(hidden.host.status().services, [], 'status lists no public service')
    const echoHash = hidden.host.apps.get('echo')!.services[0].hash
    const found = []
    for await (const p of lookupVerified(dht, Buffer.from(echoHash, 'hex'), { timeoutMs: 2000 })) found.push(p)
    assert.deepEqual(found, [], 'a lookup of the echo service hash finds no peer')
    const d = await fetchDescriptor(dht, hidden.host.identity!.publicKey)
    if (d.ok) assert.deepEqual(d.descriptor.apps, [], 'the host descriptor names no app')
    assert.notEqual(st.key, formatId(hidden.host.serviceKeyPair(echoHash).publicKey), 'the hidden key is not the public service key')
  })

  let c: Awaited<ReturnType<typeof connectHidden>>
  await t.test('bytes flow both ways between a client and the hidden echo plugin', async () => {
    c = await connectHidden(client, key)
    assert.ok(views.has(c.rendezvous) && views.has(c.intro))
    assert.equal(await roundTrip(c.stream, 'hello, hidden echo'), 'hello, hidden echo')
    const big = Buffer.alloc(60_000, 9)
    c.stream.write(big)
    assert.deepEqual(await readBytes(c.stream, big.length), big)
  })

  await t.test('a hidden stream keeps windows: three windows there and back, SENDMEs passed on by the rendezvous point', async () => {
    const raw = (c.stream as unknown as { rawStream: { circuit: { end: { window: unknown } } } }).rawStream
    assert.ok(raw.circuit.end.window, 'both ends and the rendezvous point said they keep windows')
    const big = Buffer.alloc(3 * 1024 * 1024)
    for (let i = 0; i < big.length; i++) big[i] = (i * 11) % 239
    c.stream.write(big)
    assert.ok((await readBytes(c.stream, big.length, 60_000)).equals(big), 'whole and in order')
  })

  await t.test('the service sees a one-time key; no relay sees the service host or the client', async () => {
    assert.equal(peersSeen.length, 1)
    const never = [formatId(dht.defaultKeyPair.publicKey), hostKey, ...relayHostKeys, ...views.keys()]
    assert.ok(!never.includes(peersSeen[0]), "the service's view of its peer is neither the client nor any host or relay")
    const all = [...views.values()].flat()
    const seenKeys = all.map((o) => o.key)
    assert.ok(!seenKeys.includes(hostKey), 'no relay ever learns the hidden host key')
    assert.ok(!seenKeys.includes(formatId(dht.defaultKeyPair.publicKey)), 'no relay ever learns the client key')
    // the introduction points know the hidden key (it is public); nobody else is told it
    const intros = [...views].filter(([, v]) => v.some((o) => o.kind === 'intro' && o.key === st.key)).map(([k]) => k)
    assert.deepEqual(new Set(intros), new Set(hidden.host.status().hidden![0].intros))
    // the rendezvous point joined two circuits and learnt no key at all on either
    const rp = views.get(c.rendezvous)!
    const joined = rp.filter((o) => o.kind === 'rendezvous')
    assert.equal(joined.length, 2)
    for (const o of joined) {
      const circuit = rp.filter((x) => x.circuit === o.circuit)
      assert.deepEqual(
        circuit.map((x) => x.kind),
        ['prev', 'rendezvous'],
        'the rendezvous point saw only a previous hop on each side'
      )
    }
    // only the hidden host's guards ever see its address: every circuit it built starts at one
    const firstHops = new Set(built.filter((b) => b.dht === hidden.host.dht).map((b) => b.first))
    assert.ok(firstHops.size > 0)
    const guards = hidden.host.onionClient!.guardKeys()
    assert.equal(guards.length, 2)
    for (const k of firstHops) assert.ok(guards.includes(k), `relay ${k.slice(0, 8)} was a first hop of the hidden host but is no guard`)
    for (const g of guards) assert.ok(!hidden.host.status().hidden![0].intros.includes(g), 'a guard is never an introduction point')
    c.stream.destroy()
  })

  await t.test('an unknown hidden key is NOT_FOUND', async () => {
    const nobody = DHT.keyPair().publicKey
    await assert.rejects(connectHidden(client, nobody), (err: Error & { code?: string }) => {
      assert.equal(err.code, 'NOT_FOUND')
      assert.match(err.message, new RegExp(`no hidden service descriptor under key ${formatId(nobody)}`))
      return true
    })
  })

  await t.test('a descriptor the service stopped refreshing is taken as offline, with a clear error', async () => {
    const gone = DHT.keyPair()
    const stale = signDescriptor(gone, [Buffer.from(st.intros[0], 'hex')], 1, Math.floor(Date.now() / 1000) - 3 * 3600)
    await client.withCircuit(undefined, async (c) => {
      await c.request(RELAY_CMD.PUBLISH, encode(onionRecord, stale), RELAY_CMD.PUBLISHED, 'publish')
      c.close()
    })
    await assert.rejects(connectHidden(client, gone.publicKey), (err: Error & { code?: string }) => {
      assert.equal(err.code, 'NOT_FOUND')
      assert.match(err.message, /last published its descriptor 180 minutes ago \(expected within 30\): it is offline/)
      return true
    })
  })

  await t.test('a relay refuses an introduction point request signed by the wrong key', async () => {
    const relay = (await client.relays())[0]
    const wrong = Buffer.alloc(64)
    await assert.rejects(
      client.withCircuit(relay, (circuit) =>
        circuit.request(RELAY_CMD.ESTABLISH_INTRO, encode(onionEstablishIntro, { serviceKey: key, signature: wrong }), RELAY_CMD.INTRO_ESTABLISHED, 'refused')
      ),
      { code: 'CIRCUIT_FAILED' }
    )
  })

  await t.test('malformed hidden-service messages end that circuit only; a forged introduction is dropped by the service', async () => {
    const relay = (await client.relays())[0]
    await assert.rejects(
      client.withCircuit(relay, (c) => c.request(RELAY_CMD.INTRODUCE1, Buffer.from([0, 1, 2]), RELAY_CMD.INTRODUCE_ACK, 'introduce')),
      (err: Error & { code?: string; details?: Record<string, unknown> }) => err.code === 'CIRCUIT_FAILED' && err.details?.reason === 'protocol'
    )
    // well formed, but not sealed to the hidden key: the intro point cannot tell, the service can
    const before = hidden.host.status().hidden![0].introductions
    const intro = await client.relayInfo(hidden.host.status().hidden![0].intros[0])
    await client.withCircuit(intro, async (c) => {
      const ack = await c.request(
        RELAY_CMD.INTRODUCE1,
        encode(onionIntroduce, { serviceKey: key, sealed: Buffer.alloc(120, 7) }),
        RELAY_CMD.INTRODUCE_ACK,
        'introduce'
      )
      assert.equal(decodeExact(onionReason, ack.data, 'ack').reason, ONION_REASON.DONE)
      c.close()
    })
    await new Promise((r) => setTimeout(r, 200))
    assert.equal(hidden.host.status().hidden![0].introductions, before, 'the forged introduction was not answered')
    // and everything still works
    const again = await connectHidden(client, key)
    assert.equal(await roundTrip(again.stream, 'still here'), 'still here')
    again.stream.destroy()
  })

  await t.test('a relay makes at most 8 DHT requests for one circuit, then ends it with LIMIT', async () => {
    await client.withCircuit(undefined, async (c) => {
      for (let i = 0; i < 8; i++) await c.request(RELAY_CMD.FETCH, encode(onionFetch, { key }), RELAY_CMD.FETCHED, 'fetch')
      await assert.rejects(
        c.request(RELAY_CMD.FETCH, encode(onionFetch, { key }), RELAY_CMD.FETCHED, 'fetch'),
        (err: Error & { code?: string; details?: Record<string, unknown> }) => {
          assert.equal(err.code, 'CIRCUIT_FAILED')
          assert.equal(err.details?.reason, 'limit')
          return true
        }
      )
    })
  })

  await t.test('hypernet-host connect --hidden joins the hidden echo to stdin/stdout', async () => {
    const cliHome = await mkdtemp(join(tmpdir(), 'hn-cli-'))
    defer(() => removeHome(cliHome))
    const r = await cli(cliHome, ['connect', '--hidden', st.key, '--bootstrap', `127.0.0.1:${testnet.bootstrap[0].port}`, '--timeout', '15'], {
      answer: 'ping a hidden service'
    })
    assert.equal(r.code, 0, r.stderr)
    assert.equal(r.stdout, 'ping a hidden service\n')
    assert.match(r.stderr, new RegExp(`connected to hidden service ${st.key} at rendezvous relay`))
  })

  await t.test("a plugin's hidden/ dial reaches the hidden service through its host's guards", async () => {
    const dialer = relays[0].host.parts.dialer as unknown as { dial(t: DialTarget, app: string): Promise<SecretStream> }
    const before = peersSeen.length
    const s = await dialer.dial({ raw: `hidden/${st.key}`, serviceHash: key, serviceKey: key, self: null }, 'test-app')
    assert.equal(await roundTrip(s, 'a plugin, to a hidden service'), 'a plugin, to a hidden service')
    assert.equal(peersSeen.length, before + 1)
    assert.notEqual(peersSeen[before], formatId(relays[0].host.identity!.publicKey))
    s.destroy()
  })

  await t.test('start refuses a malformed --hidden value', async () => {
    const cliHome = await mkdtemp(join(tmpdir(), 'hn-cli-'))
    defer(() => removeHome(cliHome))
    const r = await cli(cliHome, ['start', '--hidden', 'echo/x/y'])
    assert.equal(r.code, 2)
    assert.match(r.stderr, /USAGE: --hidden: expected <app> or <app>\/<service>, got "echo\/x\/y"/)
  })

  await t.test('an introduction point that shuts down is replaced, and clients still get through', async () => {
    const before = hidden.host.status().hidden![0]
    const victim = relays.find((r) => formatId(r.host.onionRelay!.publicKey) === before.intros[0])!
    await victim.close()
    const after = await until(
      () => {
        const h = hidden.host.status().hidden![0]
        return h.intros.length === 3 && !h.intros.includes(before.intros[0]) && h.published !== before.published ? h : null
      },
      'a new intro point and a republished descriptor',
      30_000
    )
    assert.ok(!after.intros.includes(before.intros[0]))
    const again = await connectHidden(client, key)
    assert.notEqual(again.intro, before.intros[0])
    assert.equal(await roundTrip(again.stream, 'after the intro point died'), 'after the intro point died')
    again.stream.destroy()
  })

  await t.test('an introduction point that crashes is replaced and the descriptor republished', async () => {
    const before = hidden.host.status().hidden![0]
    const victim = relays.find((r) => formatId(r.host.onionRelay!.publicKey) === before.intros[0])!
    // a crash: the relay's node goes away without a word (no DESTROY cells)
    await victim.host.dht!.destroy({ force: true })
    const after = await until(
      () => {
        const h = hidden.host.status().hidden![0]
        return h.intros.length === 3 && !h.intros.includes(before.intros[0]) && h.published !== before.published ? h : null
      },
      'a new intro point and a republished descriptor',
      30_000
    )
    assert.ok(!after.intros.includes(before.intros[0]))
  })

  await t.test('the rendezvous relay dying mid-stream fails the stream cleanly, and a new connection works', async () => {
    const c2 = await connectHidden(client, key)
    assert.equal(await roundTrip(c2.stream, 'before'), 'before')
    const rp = relays.find((r) => formatId(r.host.onionRelay!.publicKey) === c2.rendezvous)!
    const failed = new Promise<Error & { code?: string }>((resolve) => c2.stream.once('error', resolve))
    await rp.host.dht!.destroy({ force: true })
    const err = await failed
    assert.equal(err.code, 'CIRCUIT_FAILED')
    const again = await connectHidden(client, key)
    assert.notEqual(again.rendezvous, c2.rendezvous)
    assert.equal(await roundTrip(again.stream, 'after'), 'after')
    again.stream.destroy()
  })

  await t.test('a restarted hidden host keeps its guards and its hidden key', async () => {
    const guards = hidden.host.onionClient!.guardKeys()
    const saved = JSON.parse(await readFile(join(home, 'onion-guards.json'), 'utf8'))
    assert.deepEqual(
      saved.guards.map((g: { relay: string }) => g.relay),
      guards
    )
    const alive = new Set(relays.filter((r) => !r.host.dht!.destroyed).map((r) => formatId(r.host.onionRelay!.publicKey)))
    await hidden.close()
    const again = await startHost(testnet, home, { hidden: [{ app: 'echo', service: null }] })
    defer(() => again.close())
    const st2 = await until(
      () => {
        const h = again.host.status().hidden?.[0]
        return h && h.intros.length === 3 && h.published ? h : null
      },
      'published again',
      30_000
    )
    assert.equal(st2.key, st.key, 'the same hidden key')
    for (const g of guards.filter((k) => alive.has(k))) assert.ok(again.host.onionClient!.guardKeys().includes(g), `guard ${g.slice(0, 8)} kept`)
    assert.match((await cli(home, ['status'])).stdout, /guards {4}[0-9a-f]{16}…, [0-9a-f]{16}…/)
  })
})
