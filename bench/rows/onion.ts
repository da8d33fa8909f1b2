import DHT from 'hyperdht'
import type { Duplex } from 'node:stream'
import createTestnet from 'hyperdht/testnet.js'
import { formatId } from '../../host/encoding/ids.ts'
import { ClientCircuit, OnionRelay } from '../../host/onion/index.ts'
import { CircuitLayers } from '../../host/onion/client-layers.ts'
import { clientHandshake, relayHandshake } from '../../host/onion/hop-handshake.ts'
import { HopCipher } from '../../host/onion/onion-layers.ts'
import {
  ONION_CELL_BYTES,
  ONION_MAX_DATA,
  ONION_MESSAGE_BYTES,
  RELAY_CMD,
  decodeExact,
  onionCellTypeAt,
  onionMessage,
  writeOnionCell
} from '../../host/messages.ts'
import type { OnionStream, RelayInfo } from '../../host/onion/index.ts'
import type { BenchOptions } from '../args.ts'
import { startRawServers } from '../raw-servers.ts'
import { median, now, paired, withTimeout } from '../stats.ts'
import { row } from '../table.ts'
import type { Row } from '../table.ts'

/**
 * Row 9: an anonymous stream through a three-hop onion circuit versus a direct HyperDHT stream
 * to the same raw servers, on one testnet in this process (so every relay's crypto shares the
 * two cores with the client and the server: a floor, not what separate machines would see).
 *   9a one-way MB/s into a sink, 9b ms from nothing to the first echoed byte (circuit build,
 *   BEGIN, one byte there and back) versus connect to the first echoed byte.
 */

const MIB = 1 << 20
const CHUNK = Buffer.alloc(64 * 1024, 0x61)

export async function onionRows(o: BenchOptions): Promise<Row[]> {
  const cleanups: Array<() => Promise<unknown>> = []
  try {
    const testnet = await createTestnet(10, { host: '127.0.0.1' })
    cleanups.push(() => testnet.destroy())
    const raw = await startRawServers(testnet.bootstrap)
    cleanups.push(() => raw.close())
    const path: RelayInfo[] = []
    for (let i = 0; i < 3; i++) {
      const dht = new DHT({ bootstrap: testnet.bootstrap })
      cleanups.push(() => dht.destroy())
      const relay = new OnionRelay(dht, DHT.keyPair(), { maxBytesPerSecond: Infinity })
      cleanups.push(() => relay.close())
      await relay.ready()
      path.push({ hostKey: formatId(relay.publicKey), relayKey: formatId(relay.publicKey) })
    }
    const client = new DHT({ bootstrap: testnet.bootstrap })
    cleanups.push(() => client.destroy())
    await client.ready()

    const anonymous = async (key: Buffer): Promise<OnionStream> => {
      const c = new ClientCircuit(client, path)
      await c.build()
      return c.begin(key)
    }
    const direct = (key: Buffer): Promise<Duplex> =>
      new Promise((resolve, reject) => {
        const s = client.connect(key)
        s.once('open', () => resolve(s))
        s.once('error', reject)
      })

    const mib = Math.max(1, Math.round(o.mib / 4))
    await oneWay(() => anonymous(raw.sinkKey), 1)
    await oneWay(() => direct(raw.sinkKey), 1)
    const one = await paired(
      o.rounds,
      () => oneWay(() => anonymous(raw.sinkKey), mib),
      () => oneWay(() => direct(raw.sinkKey), mib)
    )
    const first = await paired(
      o.rounds,
      () => firstByte(() => anonymous(raw.echoKey)),
      () => firstByte(() => direct(raw.echoKey))
    )
    const perCell = median(Array.from({ length: 3 }, () => cellPath(o.rounds * 2000)))
    const spread = (xs: number[], d = 1) => `${Math.min(...xs).toFixed(d)}-${Math.max(...xs).toFixed(d)}`
    return [
      row({
        id: '9a',
        measure: 'anonymous stream one way, 3 hops',
        unit: 'MB/s',
        rounds: o.rounds,
        project: median(one.a),
        raw: median(one.b),
        target: { kind: 'none' },
        detail: `${mib} MiB per round into a sink; onion ${spread(one.a)}, direct ${spread(one.b, 0)} MB/s; all relays in this process; the cells alone (seal, 3 hops framing and peeling, the exit's decode) ${perCell.toFixed(1)} us each on one thread`,
        extra: { onion: one.a, direct: one.b, mib, cellPathUs: perCell }
      }),
      row({
        id: '9b',
        measure: 'anonymous circuit + stream to first byte',
        unit: 'ms',
        rounds: o.rounds,
        project: median(first.a),
        raw: median(first.b),
        target: { kind: 'none' },
        detail: `3 hops: 3 HyperDHT connects + 3 handshakes, BEGIN, 1 byte echoed; onion ${spread(first.a)}, direct ${spread(first.b)} ms`,
        extra: { onion: first.a, direct: first.b }
      })
    ]
  } finally {
    while (cleanups.length) await cleanups.pop()!().catch(() => {})
  }
}

/**
 * us per cell of the circuit's own work, no network: the client seals a DATA cell, each of
 * three relays frames it, reads it back and peels its layer, the exit decodes the message.
 */
export function cellPath(cells: number): number {
  const client: HopCipher[] = []
  const relays: HopCipher[] = []
  for (let i = 0; i < 3; i++) {
    const kp = DHT.keyPair()
    const hs = clientHandshake(kp.publicKey)
    const answer = relayHandshake(kp, hs.ephemeral)
    client.push(new HopCipher(hs.finish(answer)))
    relays.push(new HopCipher(answer.keys))
  }
  const layers = new CircuitLayers(client)
  const data = Buffer.alloc(ONION_MAX_DATA, 0x61)
  const wire = Buffer.alloc(ONION_CELL_BYTES)
  const body = Buffer.alloc(ONION_CELL_BYTES - 2)
  const start = now()
  for (let n = 0; n < cells; n++) {
    let b: Buffer = layers.seal(RELAY_CMD.DATA, data)
    for (const r of relays) {
      writeOnionCell(wire, 0, 3, b)
      onionCellTypeAt(wire, 0)
      wire.copy(body, 0, 2)
      b = r.peel(body, 'bench')
    }
    decodeExact(onionMessage, b.subarray(0, ONION_MESSAGE_BYTES), 'bench')
  }
  return ((now() - start) * 1000) / cells
}

/** MB/s of `mib` MiB written into the raw sink (1 byte back per MiB). */
export async function oneWay(open: () => Promise<Duplex>, mib: number): Promise<number> {
  const s = await open()
  s.on('error', () => {})
  try {
    const start = now()
    let acks = 0
    const acked = new Promise<void>((resolve, reject) => {
      s.on('data', (d: Buffer) => {
        acks += d.byteLength
        if (acks >= mib) resolve()
      })
      s.once('close', () => reject(new Error(`closed after ${acks}/${mib} acks`)))
    })
    const write = async () => {
      for (let n = 0; n < (mib * MIB) / CHUNK.byteLength; n++) if (!s.write(CHUNK)) await new Promise((r) => s.once('drain', r))
    }
    await withTimeout(Promise.all([write(), acked]), 120_000, 'onion one-way transfer')
    return (mib * MIB) / 1e6 / ((now() - start) / 1000)
  } finally {
    s.destroy()
  }
}

/** ms from nothing to the first echoed byte. */
export async function firstByte(open: () => Promise<Duplex>): Promise<number> {
  const start = now()
  const s = await open()
  s.on('error', () => {})
  try {
    const back = new Promise<void>((resolve) => s.once('data', () => resolve()))
    s.write(Buffer.from('x'))
    await withTimeout(back, 15_000, 'first echoed byte')
    return now() - start
  } finally {
    s.destroy()
  }
}
