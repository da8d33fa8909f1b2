import type { BenchOptions } from '../args.ts'
import { runBytePathBench } from '../byte-path.ts'
import type { BytePathResult } from '../byte-path.ts'
import { median } from '../stats.ts'
import { row } from '../table.ts'
import type { Row } from '../table.ts'

/**
 * Row 5: the in-process byte path (bench/byte-path.ts, owned by the runtime): 64 KiB messages
 * through the echo plugin and back with no network, and the cost of one small event. Each
 * run takes a few seconds, so at most three rounds.
 */

export async function bytePathRows(o: BenchOptions): Promise<Row[]> {
  const rounds = Math.min(o.rounds, 3)
  const runs: BytePathResult[] = []
  for (let i = 0; i < rounds; i++) runs.push(await runBytePathBench({ quick: o.quick }))
  const mb = runs.map((r) => r.mbPerSec)
  const ev = runs.map((r) => r.eventMicros)
  const rt = runs.map((r) => r.roundTripMicros)
  return [
    row({
      id: '5a',
      measure: 'byte path, 64 KiB through echo plugin',
      unit: 'MB/s',
      rounds,
      project: median(mb),
      target: { kind: 'min', value: 500 },
      detail: `in-process, no network; ${mb.map((x) => x.toFixed(0)).join(', ')} MB/s`,
      extra: { runs }
    }),
    row({
      id: '5b',
      measure: 'byte path, one small event',
      unit: 'µs',
      rounds,
      project: median(ev),
      target: { kind: 'none' },
      detail: `1-byte events pipelined (delivery cost); one at a time a round trip is ${median(rt).toFixed(1)} µs (two thread hops)`,
      extra: { roundTripMicros: rt }
    })
  ]
}
