import { lookupVerified } from '../../host/dns/lookup.ts'
import type DHT from 'hyperdht'
import type { BenchOptions } from '../args.ts'
import { startNetFixture } from '../net-fixture.ts'
import { median, now, pairedStats, rotated, withTimeout } from '../stats.ts'
import { row } from '../table.ts'
import type { Row } from '../table.ts'

/**
 * Row 4: the project's verified lookup of a service hash (DHT lookup, then each announcing
 * host's signed descriptor checked) versus a raw `dht.lookup` of the same topic, both run to
 * completion, in testnets of each size. The row's figure is a lookup as a client repeats it
 * (descriptors verified in the last minute reused, no second walk); the detail adds the cold
 * lookup (`cached: false`: every descriptor fetched with a walk), measured in the same rounds,
 * paired with raw lookups of its own, and the time to the first verified peer versus the first
 * raw reply that names a peer.
 */

const WARM_MS = 3000

export async function lookupRows(o: BenchOptions): Promise<Row[]> {
  const rows: Row[] = []
  const perRound = o.quick ? 3 : 20
  for (const [i, size] of o.sizes.entries()) {
    const f = await startNetFixture(size)
    try {
      const hash = f.echoHash
      const dht = f.client
      const verified = (cached: boolean) => async () => {
        const start = now()
        let first = NaN
        let found = 0
        for await (const p of lookupVerified(dht, hash, { timeoutMs: 10_000, cached })) {
          if (p.verified && found++ === 0) first = now() - start
        }
        if (found === 0) throw new Error(`verified lookup in a ${size}-node DHT found nobody`)
        return { all: now() - start, first }
      }
      const raw = () => rawLookup(dht, hash)
      // warm routing tables and JIT: lookups in a just-started DHT get faster for a second or
      // two (0.8 ms to 0.4 ms at 10 nodes, measured), which would favour whichever ran later
      await verified(false)()
      for (const until = now() + WARM_MS; now() < until;) {
        await verified(true)()
        await raw()
      }
      // two pairings, not one rotation of three: a cold lookup's walks leave replies in flight
      // for a moment after it returns, and in a rotation of three the warm lookup followed a
      // cold one in two rounds of three and the raw one in one
      const [warm, base] = await rotated(o.rounds, [() => many(perRound, verified(true)), () => many(perRound, raw)])
      const [cold, coldBase] = await rotated(o.rounds, [() => many(perRound, verified(false)), () => many(perRound, raw)])
      const r = { a: warm, b: base }
      const coldRatio = pairedStats(
        cold.map((x) => x.all),
        coldBase.map((x) => x.all)
      ).ratio
      rows.push(
        row({
          id: `4${String.fromCharCode(97 + i)}`,
          measure: `verified lookup, ${size}-node DHT`,
          unit: 'ms',
          rounds: o.rounds,
          project: median(r.a.map((x) => x.all)),
          raw: median(r.b.map((x) => x.all)),
          ...pairedStats(
            r.a.map((x) => x.all),
            r.b.map((x) => x.all)
          ),
          target: { kind: 'ratio-max', value: 1.1 },
          detail:
            `to completion, ${perRound} lookups per round; cold (every descriptor fetched) ${median(cold.map((x) => x.all)).toFixed(2)} ms, ${coldRatio.toFixed(2)}x; ` +
            `first result: verified ${median(r.a.map((x) => x.first)).toFixed(2)} ms, cold ${median(cold.map((x) => x.first)).toFixed(2)} ms, raw ${median(r.b.map((x) => x.first)).toFixed(2)} ms`,
          extra: { nodes: size, verified: r.a, raw: r.b, cold }
        })
      )
    } finally {
      await f.close()
    }
  }
  return rows
}

/** A raw lookup drained to completion; ms in all and to the first reply naming a peer. */
async function rawLookup(dht: DHT, topic: Buffer): Promise<{ all: number; first: number }> {
  const start = now()
  let first = NaN
  const q = dht.lookup(topic)
  await withTimeout(
    (async () => {
      for await (const reply of q) if (reply.peers.length > 0 && Number.isNaN(first)) first = now() - start
    })(),
    10_000,
    'raw lookup'
  )
  if (Number.isNaN(first)) throw new Error('raw lookup found nobody')
  return { all: now() - start, first }
}

/** Median of `n` runs of `fn`, per field. */
async function many(n: number, fn: () => Promise<{ all: number; first: number }>): Promise<{ all: number; first: number }> {
  const xs: Array<{ all: number; first: number }> = []
  for (let i = 0; i < n; i++) xs.push(await fn())
  return { all: median(xs.map((x) => x.all)), first: median(xs.map((x) => x.first)) }
}
