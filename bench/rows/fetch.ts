import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import DHT from 'hyperdht'
import { installFromNetwork } from '../../host/apps/index.ts'
import { createAppStore } from '../../host/store/app-store.ts'
import type { BenchOptions } from '../args.ts'
import { bigApp, installApps } from '../apps.ts'
import type { NetFixture } from '../net-fixture.ts'
import { median, now, paired, pairedStats } from '../stats.ts'
import { row } from '../table.ts'
import type { Row } from '../table.ts'

/**
 * Row 12: code travels. (a) `install <code hash>` of a 1 MiB app from the host that runs it, the
 * whole loop as the CLI does it (lookup, manifest from the vendor, audit, consent, ranged fetch,
 * code hash, module checks, atomic store), beside a raw HyperDHT client that connects to a raw
 * server and reads 1 MiB, in the same run; (b) the time until the consent prompt would show.
 */

export async function fetchRows(f: NetFixture, o: BenchOptions): Promise<Row[]> {
  const bytes = 1024 * 1024
  const big = await bigApp(join(f.home, 'bench-build'), bytes, 'fetch1m')
  const [out] = await installApps(f.home, { fetch1m: big })
  await f.host.sync()
  const code = Buffer.from(out.app.codeHash, 'hex')
  const payload = Buffer.alloc(big.bytes, 7)
  const keyPair = DHT.keyPair()
  const server = f.raw.dht.createServer({}, (s) => {
    s.on('error', () => {})
    s.end(payload)
  })
  await server.listen(keyPair)
  const consent: number[] = []

  const install = async () => {
    const home = await mkdtemp(join(tmpdir(), 'hn-bench-fetch-'))
    try {
      const store = createAppStore({ dir: join(home, 'store') })
      await store.ready()
      const t0 = now()
      await installFromNetwork(
        { dht: f.client, store, trusted: new Set() },
        {
          hash: code,
          consent: async () => {
            consent.push(now() - t0)
            return true
          }
        }
      )
      return now() - t0
    } finally {
      await rm(home, { recursive: true, force: true })
    }
  }
  const raw = async () => {
    const t0 = now()
    const s = f.client.connect(keyPair.publicKey)
    await new Promise<void>((resolve, reject) => {
      let got = 0
      s.on('data', (d: Buffer) => {
        got += d.length
        if (got >= payload.length) resolve()
      })
      s.on('error', reject)
    })
    const t = now() - t0
    s.destroy()
    return t
  }
  try {
    await install() // warm the path (compile caches, first connection)
    consent.length = 0
    const s = await paired(o.rounds, install, raw)
    const st = pairedStats(s.a, s.b)
    return [
      row({
        id: '12a',
        measure: `install a ${(big.bytes / 1024 / 1024).toFixed(2)} MiB app by code hash from a peer`,
        unit: 'ms',
        rounds: o.rounds,
        project: median(s.a),
        raw: median(s.b),
        ...st,
        target: { kind: 'ratio-max', value: 1.5 },
        detail: `lookup, manifest, audit, consent, fetch, code hash, module checks, atomic store; raw: connect and read ${big.bytes} bytes from a plain HyperDHT server`,
        extra: { install: s.a, raw: s.b, bytes: big.bytes }
      }),
      row({
        id: '12b',
        measure: 'install <code hash>: time to the consent prompt',
        unit: 'ms',
        rounds: o.rounds,
        project: median(consent),
        target: { kind: 'none' },
        detail: 'verified lookup of vendors, manifest from up to 4 of them, audit of the manifest',
        extra: { consent }
      })
    ]
  } finally {
    await server.close()
  }
}
