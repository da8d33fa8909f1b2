/**
 * Issue 14 part 2, measured: two hosts on a 10-node loopback testnet each run the hostile
 * fixture (it dials self/hostile in a loop, redials on failure, sends and logs in a loop).
 * Prints, once a second: RSS and heap of this process (both hosts and the testnet), host A's
 * plugin connections, its log bytes; then how long restart and uninstall (control ops) take.
 *
 *   node --import tsx bench/hostile.ts [seconds=30]
 */
import { rm } from 'node:fs/promises'
import { callDaemon } from '../host/control/control-client.ts'
import { generateKeyPair } from '../host/manifest/signing.ts'
import { createAppStore } from '../host/store/app-store.ts'
import { startHostileHost } from '../test/helpers/hostile-hosts.ts'
import { startTestnet } from '../test/helpers/testnet.ts'

const seconds = Number(process.argv[2] ?? 30)
const mib = (n: number) => Math.round(n / 1048576)
const testnet = await startTestnet(10)
const publisher = generateKeyPair()
const a = await startHostileHost(testnet, publisher)
const b = await startHostileHost(testnet, publisher)
const t0 = Date.now()
let peakRss = 0
for (let s = 1; s <= seconds; s++) {
  await new Promise((r) => setTimeout(r, 1000))
  const m = process.memoryUsage()
  peakRss = Math.max(peakRss, m.rss)
  const st = a.host.runtime!.status('hostile')
  console.log(
    JSON.stringify({
      s,
      rssMiB: mib(m.rss),
      heapMiB: mib(m.heapUsed),
      externalMiB: mib(m.external),
      state: st.state,
      conns: st.connections,
      bytesOut: st.bytesOut,
      logKiB: Math.round((await a.logBytes()) / 1024)
    })
  )
}
const timed = async (what: string, fn: () => Promise<unknown>) => {
  const t = Date.now()
  const r = await Promise.race([fn().then(() => 'done'), new Promise((res) => setTimeout(() => res('TIMED OUT'), 120_000))])
  console.log(JSON.stringify({ op: what, result: r, ms: Date.now() - t }))
}
await timed('restart', () => callDaemon(a.host.paths.socket, 'restart', { app: 'hostile' }))
await new Promise((r) => setTimeout(r, 3000))
await timed('uninstall', async () => {
  const store = createAppStore({ dir: a.host.paths.store })
  await store.ready()
  await store.uninstall('hostile')
  await callDaemon(a.host.paths.socket, 'reload')
})
console.log(JSON.stringify({ summary: true, seconds, peakRssMiB: mib(peakRss), logKiBA: Math.round((await a.logBytes()) / 1024), ranMs: Date.now() - t0 }))
await timed('stop host B', () => b.close())
await timed('stop host A', () => a.close())
await testnet.destroy()
await rm(a.home, { recursive: true, force: true })
await rm(b.home, { recursive: true, force: true })
process.exit(0)
