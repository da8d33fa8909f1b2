import assert from 'node:assert/strict'
import { test } from 'node:test'
import DHT from 'hyperdht'
import { formatId } from '../../host/encoding/ids.ts'
import { silentLogger } from '../../host/log/logger.ts'
import { MeshSwarm, signHello, verifyHello, meshKeyPair } from '../../host/mesh/index.ts'
import type { MeshStream } from '../../host/mesh/index.ts'
import { decodeExact, encode, meshHello } from '../../host/messages.ts'
import { startTestnet } from '../helpers/testnet.ts'
import { teardown } from '../helpers/teardown.ts'
import { until } from '../helpers/plugin-apps.ts'

const HASH = Buffer.alloc(32, 7)

interface Node {
  mesh: MeshSwarm
  identity: ReturnType<typeof DHT.keyPair>
  streams: MeshStream[]
  got: string[]
}

function node(bootstrap: Array<{ host: string; port: number }>, vouches: (hostKey: Buffer) => boolean = () => true): Node {
  const identity = DHT.keyPair()
  const n: Node = { identity, streams: [], got: [], mesh: null! }
  n.mesh = new MeshSwarm({ identity, log: silentLogger(), createDht: () => new DHT({ bootstrap, host: '127.0.0.1' }), vouches: async (k) => vouches(k) })
  return n
}

function member(n: Node): (s: MeshStream) => void {
  return (s) => {
    n.streams.push(s)
    s.on('data', (d) => void n.got.push(`${formatId(s.remotePublicKey).slice(0, 8)}:${String(d)}`))
    s.on('error', () => {})
  }
}

test('the mesh hello is pinned, signs the mesh key with the host key, and fails for another mesh key', { timeout: 10_000 }, () => {
  const identity = DHT.keyPair(Buffer.alloc(32, 1))
  const mesh = meshKeyPair(identity.secretKey)
  const hello = signHello(identity, mesh.publicKey)
  const buf = encode(meshHello, hello)
  assert.equal(buf.byteLength, 2 + 32 + 64)
  assert.equal(buf.subarray(0, 2).toString('hex'), '0100')
  assert.ok(verifyHello(decodeExact(meshHello, buf, 'hello'), mesh.publicKey))
  assert.ok(!verifyHello(hello, DHT.keyPair().publicKey))
  const bad = Buffer.from(buf)
  bad[0] = 2
  assert.throws(() => decodeExact(meshHello, bad, 'hello'), { code: 'BAD_MESSAGE' })
})

test('three swarms that join one mesh each get one stream per other host, keyed by its host key, and bytes cross', { timeout: 60_000 }, async (t) => {
  const cleanup = teardown(t)
  const testnet = await startTestnet(10)
  cleanup(() => testnet.destroy())
  const nodes = [0, 1, 2].map(() => node(testnet.bootstrap))
  for (const n of nodes) cleanup(() => n.mesh.close())
  for (const n of nodes) n.mesh.join(HASH, member(n))
  // a stream may end early when hyperswarm drops one of two simultaneous connections; its successor follows
  const live = (n: Node) => n.streams.filter((s) => !s.destroyed && !s.destroying)
  await until(() => nodes.every((n) => live(n).length === 2), 'every node to meet the other two', 30_000)
  for (const n of nodes) {
    const keys = new Set(live(n).map((s) => formatId(s.remotePublicKey)))
    assert.equal(keys.size, 2, 'one live stream per other host')
    assert.ok(!keys.has(formatId(n.identity.publicKey)))
  }
  live(nodes[0]).forEach((s) => s.write(Buffer.from('hi')))
  await until(() => nodes[1].got.length === 1 && nodes[2].got.length === 1, 'the line at both others')
  assert.equal(nodes[1].got[0], `${formatId(nodes[0].identity.publicKey).slice(0, 8)}:hi`)
  assert.equal(live(nodes[1]).length, 2, 'never two live streams to one host')
})

test('a host whose descriptor does not vouch for the hash is never given as a peer', { timeout: 60_000 }, async (t) => {
  const cleanup = teardown(t)
  const testnet = await startTestnet(10)
  cleanup(() => testnet.destroy())
  let liar: Buffer | null = null
  let refusals = 0
  const vouch = (k: Buffer) => {
    const ok = !liar || !k.equals(liar)
    if (!ok) refusals++
    return ok
  }
  const a = node(testnet.bootstrap, vouch)
  const b = node(testnet.bootstrap, vouch)
  const c = node(testnet.bootstrap, vouch)
  liar = c.identity.publicKey
  for (const n of [a, b, c]) cleanup(() => n.mesh.close())
  for (const n of [a, b, c]) n.mesh.join(HASH, member(n))
  await until(() => a.streams.length >= 1 && b.streams.length >= 1, 'a and b to meet', 30_000)
  // c reaches a and b (hyperswarm connects anyone on the topic); their descriptor checks refuse it
  await until(() => refusals >= 2, 'a and b to check c and refuse it', 30_000)
  assert.equal(a.streams.length, 1)
  assert.equal(b.streams.length, 1)
  assert.equal(c.streams.length, 0, 'c meets nobody: a and b never open its channel')
})

test('leaving a mesh ends its streams at the peers; joining again brings them back', { timeout: 60_000 }, async (t) => {
  const cleanup = teardown(t)
  const testnet = await startTestnet(10)
  cleanup(() => testnet.destroy())
  const a = node(testnet.bootstrap)
  const b = node(testnet.bootstrap)
  for (const n of [a, b]) cleanup(() => n.mesh.close())
  a.mesh.join(HASH, member(a))
  const mb = b.mesh.join(HASH, member(b))
  await until(() => a.streams.length === 1 && b.streams.length === 1, 'a and b to meet', 30_000)
  const ended = new Promise<void>((resolve) => a.streams[0].once('end', () => resolve()))
  a.streams[0].resume()
  mb.leave()
  await ended
  b.mesh.join(HASH, member(b))
  await until(() => a.streams.length === 2 && b.streams.length === 2, 'a and b to meet again', 30_000)
})

test('when the connection between two hosts fails, both see the stream fail, and hyperswarm brings a new one', { timeout: 60_000 }, async (t) => {
  const cleanup = teardown(t)
  const testnet = await startTestnet(10)
  cleanup(() => testnet.destroy())
  const a = node(testnet.bootstrap)
  const b = node(testnet.bootstrap)
  for (const n of [a, b]) cleanup(() => n.mesh.close())
  a.mesh.join(HASH, member(a))
  b.mesh.join(HASH, member(b))
  const live = (n: Node) => n.streams.filter((s) => !s.destroyed && !s.destroying)
  await until(() => live(a).length === 1 && live(b).length === 1, 'a and b to meet', 30_000)
  const [first] = live(a)
  const failed = new Promise<Error>((resolve) => first.once('error', resolve))
  const conns = (a.mesh as unknown as { swarm: { connections: Set<{ destroy(e: Error): void }> } }).swarm.connections
  for (const conn of conns) conn.destroy(new Error('cut'))
  assert.equal(((await failed) as { code?: string }).code, 'CONNECTION_FAILED')
  await until(() => live(a).length === 1 && live(b).length === 1 && live(a)[0] !== first, 'a new stream each side', 45_000)
  live(a)[0].write(Buffer.from('again'))
  await until(() => b.got.some((g) => g.endsWith(':again')), 'bytes on the new stream')
})
