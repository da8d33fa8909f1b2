import assert from 'node:assert/strict'
import { mkdtemp } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { test } from 'node:test'
import type { SecretStream } from 'hyperdht'
import { installExamples } from '../../host/demo/install-examples.ts'
import { formatId } from '../../host/encoding/ids.ts'
import { serviceHash } from '../../host/manifest/hashes.ts'
import { createDuplexPair, createHarness, HarnessConnection } from '../../host/plugins/index.ts'
import type { AppRef, MeshTarget } from '../../host/plugins/index.ts'
import { builtApp, until } from '../helpers/plugin-apps.ts'
import { openStream, plainClient, removeHome, startHost } from '../helpers/hosts.ts'
import type { TestHost } from '../helpers/hosts.ts'
import { teardown } from '../helpers/teardown.ts'
import { startTestnet } from '../helpers/testnet.ts'

const chatGrants = { permissions: { mesh: ['self/chat'] } }

test('chat fans a line out from one client to the others, never back to the sender', { timeout: 30_000 }, async (t) => {
  const cleanup = teardown(t)
  const h = createHarness(await builtApp('plugins', 'chat', chatGrants))
  cleanup(() => h.close())
  await h.ready()

  const a = h.open('chat')
  const b = h.open('chat')
  const c = h.open('chat')
  await until(() => h.status().connections >= 3, 'three clients')
  await a.write('hello from a\n')
  assert.equal((await b.read(13)).toString(), 'hello from a\n')
  assert.equal((await c.read(13)).toString(), 'hello from a\n')
  await b.write('and b\n')
  assert.equal((await a.read(6)).toString(), 'and b\n', 'a hears b, and did not get its own line first')
})

test("chat's hn_mesh_join goes to the mesh component, and each peer stream carries lines both ways", { timeout: 30_000 }, async (t) => {
  const cleanup = teardown(t)
  const app = await builtApp('plugins', 'chat', chatGrants)
  const joins: Array<{ target: MeshTarget; from: AppRef }> = []
  let addPeer: ((peerKey: Buffer) => HarnessConnection) | null = null
  let left = 0
  const h = createHarness({
    ...app,
    // play two other hosts' rooms at the far ends of peer streams
    mesh: (target, from, onPeer) => {
      joins.push({ target, from })
      addPeer = (peerKey) => {
        const [near, far] = createDuplexPair({ aKey: Buffer.alloc(32), bKey: peerKey })
        near.on('error', () => {})
        far.on('error', () => {})
        onPeer(near)
        return new HarnessConnection(far)
      }
      return { leave: () => void left++ }
    }
  })
  cleanup(() => h.close())
  await h.ready()

  await until(() => addPeer, 'the room to join its mesh at start')
  const { target, from } = joins[0]
  assert.equal(target.raw, 'self/chat')
  assert.equal(formatId(target.serviceHash), formatId(serviceHash(app.manifest.code.hash, 'chat')))
  assert.equal(from.name, 'chat')
  const p1 = addPeer!(Buffer.alloc(32, 1))
  const p2 = addPeer!(Buffer.alloc(32, 2))
  const local = h.open('chat')
  await until(() => h.status().connections >= 3, 'two peers and the local client')
  await local.write('to the world\n')
  assert.equal((await p1.read(13)).toString(), 'to the world\n')
  assert.equal((await p2.read(13)).toString(), 'to the world\n')
  await p1.write('from afar\n')
  assert.equal((await local.read(10)).toString(), 'from afar\n')
  await h.close()
  assert.equal(left, 1, 'the mesh is left when the plugin stops')
})

/** One host of the mesh test: its chat service key and a client connected to it. */
interface Room {
  home: string
  h: TestHost
  client: SecretStream
  heard: string
}

test('five hosts running chat form a mesh: a line from any host reaches every other host once, also after one leaves and rejoins', { timeout: 240_000 }, async (t) => {
  const defer = teardown(t)
  const testnet = await startTestnet(12)
  defer(() => testnet.destroy())
  const dht = plainClient(testnet)
  defer(() => dht.destroy())
  const N = 5
  const rooms: Room[] = []

  const connectClient = async (r: Room): Promise<void> => {
    const key = r.h.host.status().services.find((s) => s.service === 'chat')!.key
    r.client = await openStream(dht, key)
    r.client.on('error', () => {})
    r.client.on('data', (d: Buffer) => (r.heard += d.toString()))
  }
  const chatOf = (r: Room) => r.h.host.runtime!.status('chat')

  for (let i = 0; i < N; i++) {
    const home = await mkdtemp(join(tmpdir(), 'hn-mesh-'))
    defer(() => removeHome(home))
    await installExamples(home, ['chat'])
    const h = await startHost(testnet, home)
    const r: Room = { home, h, client: null!, heard: '' }
    defer(() => r.h.close())
    rooms.push(r)
  }
  for (const r of rooms) await connectClient(r)

  // each room's connections: N - 1 peers + its one client
  const meshed = async (members: Room[], what: string) => until(() => members.every((r) => chatOf(r).connections === members.length), what, 60_000)
  await meshed(rooms, 'every room to have the four others as peers')
  const st = rooms[0].h.host.status().mesh!
  assert.deepEqual({ meshes: st.meshes, peers: st.peers, verified: st.verified }, { meshes: 1, peers: N - 1, verified: N - 1 }, 'status shows the mesh')

  let seq = 0
  /** Send a line from `from`, wait until every other member's client heard it, and count the bytes it cost. */
  const say = async (members: Room[], from: Room): Promise<number> => {
    const before = members.reduce((n, r) => n + chatOf(r).bytesOut, 0)
    const line = `line ${seq++} from ${members.indexOf(from)}\n`
    from.client.write(line)
    await until(() => members.every((r) => r === from || r.heard.includes(line)), `"${line.trim()}" at every other room`, 30_000)
    const after = members.reduce((n, r) => n + chatOf(r).bytesOut, 0)
    for (const r of members) if (r !== from) assert.equal(r.heard.split(line).length - 1, 1, `heard once at room ${rooms.indexOf(r)}`)
    return (after - before) / Buffer.byteLength(line)
  }

  for (const from of rooms) {
    // N - 1 messages between hosts and N - 1 to the other clients: no flood, no echo
    assert.equal(await say(rooms, from), 2 * (N - 1), 'messages per line')
  }

  // one host leaves: the others see the peer go, and keep talking among four
  const gone = rooms[N - 1]
  await gone.h.close()
  const four = rooms.slice(0, N - 1)
  await meshed(four, 'the others to see it leave')
  assert.equal(await say(four, four[0]), 2 * (N - 2))

  // it comes back with the same home (same host key): everybody meets it again
  gone.h = await startHost(testnet, gone.home)
  gone.heard = ''
  await connectClient(gone)
  await meshed(rooms, 'the room to rejoin the mesh')
  for (const from of [gone, rooms[0]]) assert.equal(await say(rooms, from), 2 * (N - 1), 'messages per line after the rejoin')
})
