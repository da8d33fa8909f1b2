import { stat } from 'node:fs/promises'
import { join } from 'node:path'
import { verifyApp } from '../../host/audit/audit-app.ts'
import type { Manifest } from '../../host/manifest/types.ts'
import { createAppStore } from '../../host/store/app-store.ts'
import type { BenchOptions } from '../args.ts'
import { bigApp, echoApp, signForHome } from '../apps.ts'
import type { AppFiles } from '../apps.ts'
import type { NetFixture } from '../net-fixture.ts'
import { median, now } from '../stats.ts'
import { row } from '../table.ts'
import type { Row } from '../table.ts'

/**
 * Row 8: installing a plugin of `--plugin-mib` MiB (echo grown with generated code) into the
 * running host, as `hypernet-host install` and the daemon's reload do it: verify (signature,
 * code hash, compile, imports), store, then the host's sync (re-verify from the store,
 * worker, compile, instantiate, hn_on_start, listen, advertise). Timed until the service is
 * advertised; then uninstalled again (not timed). A ~19 KiB echo installed the same way is
 * the reference, in the detail (nothing raw compares).
 */

export async function installRows(f: NetFixture, o: BenchOptions): Promise<Row[]> {
  const bytes = Math.round(o.pluginMib * 1024 * 1024)
  const big = await bigApp(join(f.home, 'bench-build'), bytes)
  // echo grown by 1 KiB: a small plugin with its own code hash (echo itself is running)
  const small = await bigApp(join(f.home, 'bench-build'), (await stat(echoApp().wasm)).size + 1024, 'echo-ref')
  const store = createAppStore({ dir: f.host.paths.store })
  await store.ready()

  const once = async (app: AppFiles, name: string) => {
    const signed = await signForHome(f.home, app, name)
    const t0 = now()
    const v = await verifyApp(signed)
    const t1 = now()
    await store.install(v.manifest as Manifest, v.wasm)
    const t2 = now()
    await f.host.sync()
    const t3 = now()
    const st = f.host.status().apps.find((a) => a.name === name)
    if (st?.state !== 'running') throw new Error(`bench: ${name} did not start: ${JSON.stringify(st)}`)
    await store.uninstall(name)
    await f.host.sync()
    return { verify: t1 - t0, store: t2 - t1, start: t3 - t2, total: t3 - t0 }
  }

  await once(small, 'echo-ref') // warm the install path
  const runs: Array<ReturnType<typeof once> extends Promise<infer T> ? T : never> = []
  const refs: typeof runs = []
  for (let r = 0; r < o.rounds; r++) {
    runs.push(await once(big, 'big'))
    refs.push(await once(small, 'echo-ref'))
  }
  const m = (k: keyof (typeof runs)[number], xs = runs) => median(xs.map((x) => x[k]))
  return [
    row({
      id: '8',
      measure: `install ${(big.bytes / 1024 / 1024).toFixed(2)} MiB plugin (verify, compile, start)`,
      unit: 'ms',
      rounds: o.rounds,
      project: m('total'),
      target: { kind: 'none' },
      detail: `verify ${m('verify').toFixed(1)} + store ${m('store').toFixed(1)} + start ${m('start').toFixed(1)} ms (start: re-verify, worker, compile, instantiate, listen, advertise); a ${(small.bytes / 1024).toFixed(0)} KiB echo: ${m('total', refs).toFixed(1)} ms`,
      extra: { bytes: big.bytes, runs, echoReference: refs }
    })
  ]
}
