import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import DHT from 'hyperdht'
import type { SecretStream } from 'hyperdht'
import createTestnet from 'hyperdht/testnet.js'
import { Host } from '../../host/daemon/host.ts'
import { installExamples } from '../../host/demo/install-examples.ts'
import { silentLogger } from '../../host/log/logger.ts'
import type { BenchOptions } from '../args.ts'
import { median, now, paired, pairedStats, sleep, withTimeout } from '../stats.ts'
import { row } from '../table.ts'
import type { Row } from '../table.ts'

/**
 * Row 13: the chat example on a mesh of hosts (each a real Host with its own DHT node, mesh
 * swarm and chat plugin, all in this process on a loopback testnet), one client per host.
 *   13a: a line from host 0's client until every other host's client has it, versus the same
 *        fan-out through plain HyperDHT: a JS relay per node, the origin's relay writing the
 *        line on an open stream to each other node, each relay passing it to its client. Same
 *        hops: client -> node 0 -> each node -> its client.
 *   13b: messages between hosts per line, from the chat plugins' byte counters (every byte a
 *        plugin sent, less the copies to clients, over the line's length); N - 1 is the least a
 *        full mesh can do, and anything above is a flood.
 *   13c: a host joining a formed mesh: from its start (new Host, ready: DHT node, app start,
 *        descriptor published) until every room, its own included, has the N - 1 others.
 */

interface Room {
  host: Host
  client: SecretStream
  heard: string
}

export async function meshRows(o: BenchOptions): Promise<Row[]> {
  const N = o.quick ? 4 : 10
  const linesPerRound = o.quick ? 3 : 10
  const cleanups: Array<() => Promise<unknown>> = []
  try {
    const testnet = await createTestnet(Math.max(10, N + 2), { host: '127.0.0.1' })
    cleanups.push(() => testnet.destroy())
    const client = new DHT({ bootstrap: testnet.bootstrap })
    cleanups.push(() => client.destroy())
    await client.ready()

    const rooms: Room[] = []
    const chat = (r: Room) => r.host.runtime!.status('chat')
    let formStart = 0
    for (let i = 0; i < N; i++) {
      if (i === N - 1) {
        // the first N - 1 have met; the last one's start is what 13c times
        await withTimeout(
          waitFor(() => rooms.every((r) => chat(r).connections === N - 2)),
          60_000,
          'the first hosts to mesh'
        )
        formStart = now()
      }
      const home = await mkdtemp(join(tmpdir(), 'hn-bench-mesh-'))
      cleanups.push(() => rm(home, { recursive: true, force: true }))
      await installExamples(home, ['chat'])
      const host = new Host({ home, bootstrap: testnet.bootstrap, logger: silentLogger() })
      cleanups.push(() => host.close())
      await host.ready()
      rooms.push({ host, client: null!, heard: '' })
    }
    await withTimeout(
      waitFor(() => rooms.every((r) => chat(r).connections === N - 1)),
      60_000,
      'the mesh to form'
    )
    const formMs = now() - formStart

    // waiting is event-driven: a poll loop on this thread would take a core from the plugin workers
    const heard = new Arrival()
    for (const r of rooms) {
      const key = Buffer.from(r.host.status().services.find((s) => s.service === 'chat')!.key, 'hex')
      r.client = await open(client, key)
      r.client.on('data', (d: Buffer) => {
        r.heard += d.toString()
        heard.changed()
      })
    }
    await waitFor(() => rooms.every((r) => chat(r).connections === N))

    const raw = await rawRooms(testnet.bootstrap, client, N)
    cleanups.push(() => raw.close())

    let seq = 0
    const messages: number[] = []
    const meshLine = async (): Promise<number> => {
      const line = `mesh line ${seq++}\n`
      const before = rooms.reduce((n, r) => n + chat(r).bytesOut, 0)
      const start = now()
      rooms[0].client.write(line)
      await withTimeout(
        heard.until(() => rooms.every((r, i) => i === 0 || r.heard.includes(line))),
        10_000,
        'a mesh line'
      )
      const ms = now() - start
      const sent = (rooms.reduce((n, r) => n + chat(r).bytesOut, 0) - before) / Buffer.byteLength(line)
      messages.push(sent - (N - 1))
      return ms
    }
    const rawLine = async (): Promise<number> => raw.line(`raw line ${seq++}\n`)
    await meshLine() // warm up both paths
    await rawLine()
    const res = await paired(
      o.rounds,
      () => many(linesPerRound, meshLine),
      () => many(linesPerRound, rawLine)
    )
    const stats = pairedStats(res.a, res.b)
    return [
      row({
        id: '13a',
        measure: `chat line to all of ${N} hosts (mesh)`,
        unit: 'ms',
        rounds: o.rounds,
        project: median(res.a),
        raw: median(res.b),
        ...stats,
        target: { kind: 'none' },
        detail: `${linesPerRound} lines per round from host 0, each until the ${N - 1} other clients have it; raw: JS relays on plain HyperDHT streams, same hops`,
        extra: { hosts: N, mesh: res.a, raw: res.b }
      }),
      row({
        id: '13b',
        measure: `messages between hosts per line, ${N} hosts`,
        unit: 'msgs',
        rounds: messages.length,
        project: Math.max(...messages),
        raw: N - 1,
        target: { kind: 'equal', value: N - 1 },
        detail: `largest over ${messages.length} lines (min ${Math.min(...messages)}); ${N - 1} = one per other host, no flood`
      }),
      row({
        id: '13c',
        measure: `host joins a mesh of ${N - 1}`,
        unit: 'ms',
        rounds: 1,
        project: formMs,
        target: { kind: 'none' },
        detail: `from new Host() of the ${N}th (its DHT node, chat started, descriptor published) until every room has the ${N - 1} others as peers`
      })
    ]
  } finally {
    while (cleanups.length) await cleanups.pop()!().catch(() => {})
  }
}

async function many(n: number, fn: () => Promise<number>): Promise<number> {
  const xs: number[] = []
  for (let i = 0; i < n; i++) xs.push(await fn())
  return median(xs)
}

/** Poll `done` every `ms`. */
async function waitFor(done: () => boolean, ms = 10): Promise<void> {
  while (!done()) await sleep(ms)
}

/** Resolves `until(done)` when `done()` holds, checked at each `changed()`. */
class Arrival {
  private waiter: { done: () => boolean; resolve: () => void } | null = null

  until(done: () => boolean): Promise<void> {
    if (done()) return Promise.resolve()
    return new Promise((resolve) => (this.waiter = { done, resolve }))
  }

  changed(): void {
    const w = this.waiter
    if (w && w.done()) {
      this.waiter = null
      w.resolve()
    }
  }
}

function open(dht: DHT, key: Buffer): Promise<SecretStream> {
  const s = dht.connect(key)
  return new Promise((resolve, reject) => {
    s.once('open', () => resolve(s))
    s.once('error', reject)
  })
}

/**
 * The raw baseline: N plain HyperDHT nodes, each with a client server (a relay to its peer
 * streams, or from them to its clients) and node 0 holding an open stream to each other
 * node's peer server.
 */
async function rawRooms(
  bootstrap: Array<{ host: string; port: number }>,
  client: DHT,
  n: number
): Promise<{ line(text: string): Promise<number>; close(): Promise<void> }> {
  const nodes: DHT[] = []
  const clientsOf: SecretStream[][] = []
  const peersOf: SecretStream[][] = []
  const clientKeys: Buffer[] = []
  const peerKeys: Buffer[] = []
  for (let i = 0; i < n; i++) {
    const dht = new DHT({ bootstrap })
    await dht.ready()
    nodes.push(dht)
    clientsOf.push([])
    peersOf.push([])
    const ck = DHT.keyPair()
    const pk = DHT.keyPair()
    const cs = dht.createServer({}, (s: SecretStream) => {
      clientsOf[i].push(s)
      s.on('error', () => {})
      s.on('data', (d: Buffer) => {
        for (const p of peersOf[i]) p.write(d)
      })
    })
    await cs.listen(ck)
    const ps = dht.createServer({}, (s: SecretStream) => {
      s.on('error', () => {})
      s.on('data', (d: Buffer) => {
        for (const c of clientsOf[i]) c.write(d)
      })
    })
    await ps.listen(pk)
    clientKeys.push(ck.publicKey)
    peerKeys.push(pk.publicKey)
  }
  for (let j = 1; j < n; j++) {
    const s = await open(nodes[0], peerKeys[j])
    s.on('error', () => {})
    peersOf[0].push(s)
  }
  const heard: string[] = []
  const arrival = new Arrival()
  const clients: SecretStream[] = []
  for (let i = 0; i < n; i++) {
    const s = await open(client, clientKeys[i])
    heard.push('')
    s.on('data', (d: Buffer) => {
      heard[i] += d.toString()
      arrival.changed()
    })
    clients.push(s)
  }
  await waitFor(() => clientsOf.every((c) => c.length === 1))
  return {
    async line(text) {
      const start = now()
      clients[0].write(text)
      await withTimeout(
        arrival.until(() => heard.every((h, i) => i === 0 || h.includes(text))),
        10_000,
        'a raw line'
      )
      return now() - start
    },
    async close() {
      for (const s of clients) s.destroy()
      for (const d of nodes) await d.destroy()
    }
  }
}
