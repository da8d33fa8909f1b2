import assert from 'node:assert/strict'
import { readFile, rm } from 'node:fs/promises'
import { test } from 'node:test'
import { PLUGIN_LOG, PLUGIN_QUOTAS } from '../../host/constants.ts'
import { callDaemon } from '../../host/control/control-client.ts'
import { generateKeyPair } from '../../host/manifest/signing.ts'
import { createAppStore } from '../../host/store/app-store.ts'
import { startHostileHost } from '../helpers/hostile-hosts.ts'
import { sleep } from '../helpers/plugin-apps.ts'
import { teardown } from '../helpers/teardown.ts'
import { startTestnet } from '../helpers/testnet.ts'

// Issue 14, part 2: before the quotas, this plugin took one host to 4096 connections and
// ~500 MiB, wrote ~155 KB/s of log, and restart took 40 s and uninstall over 120 s.
test(
  'a plugin that dials itself in a loop, redials and logs in a loop stays within its quotas, and restart and uninstall still work at once',
  { timeout: 90_000 },
  async (t) => {
    const defer = teardown(t)
    const testnet = await startTestnet(10)
    defer(() => testnet.destroy())
    const publisher = generateKeyPair()
    // two hosts run it, so its self/ dials reach the other's instance and connections open
    const a = await startHostileHost(testnet, publisher)
    defer(() => rm(a.home, { recursive: true, force: true }))
    defer(() => a.close())
    const b = await startHostileHost(testnet, publisher)
    defer(() => rm(b.home, { recursive: true, force: true }))
    defer(() => b.close())

    const quota = PLUGIN_QUOTAS.connections.default
    const seconds = 4
    await sleep(1000)
    const rssAt1s = process.memoryUsage().rss
    const logAt1s = await a.logBytes()
    let maxConns = 0
    let maxRss = 0
    for (let i = 0; i < seconds * 4; i++) {
      await sleep(250)
      maxConns = Math.max(maxConns, a.host.runtime!.status('hostile').connections, b.host.runtime!.status('hostile').connections)
      maxRss = Math.max(maxRss, process.memoryUsage().rss)
    }
    const st = a.host.runtime!.status('hostile')
    const logPerSecond = ((await a.logBytes()) - logAt1s) / seconds
    const figures = {
      maxConns,
      rssGrowthMiB: Math.round((maxRss - rssAt1s) / 1048576),
      heapMiB: Math.round(process.memoryUsage().heapUsed / 1048576),
      logPerSecond: Math.round(logPerSecond),
      dropped: st.droppedLogLines,
      lookups: a.host.dialCache.lookups,
      bytesOut: st.bytesOut
    }
    t.diagnostic(JSON.stringify(figures))

    assert.equal(st.state, 'running')
    assert.ok(st.bytesOut > 0, 'its dials reached the other host')
    // its own outbound connections, plus the other instance's inbound ones
    assert.ok(maxConns <= 2 * quota, `${maxConns} connections (quota ${quota} each way)`)
    assert.ok(maxRss - rssAt1s < 96 * 1048576, `RSS grew ${figures.rssGrowthMiB} MiB`)
    assert.ok(figures.heapMiB < 128, `heap ${figures.heapMiB} MiB`)
    // the plugin's lines are capped (each JSON line carries ~150 bytes of fields besides the message)
    assert.ok(st.droppedLogLines > 0, 'lines were dropped and counted')
    assert.ok(logPerSecond < PLUGIN_LOG.bytesPerSecond + PLUGIN_LOG.linesPerSecond * 250, `${logPerSecond} log bytes a second`)
    assert.match(await readFile(a.logFile, 'utf8'), /hostile: dropped \d+ lines/)
    // one lookup per hash in flight and cached: far fewer lookups than dials
    assert.ok(a.host.dialCache.lookups <= 2 * (seconds + 1), `${a.host.dialCache.lookups} lookups`)

    // operator commands win over the busy plugin (bounded by the test's timeout)
    const restarted = await callDaemon<{ state: string }>(a.host.paths.socket, 'restart', { app: 'hostile' })
    assert.equal(restarted.state, 'running')
    const store = createAppStore({ dir: a.host.paths.store })
    await store.ready()
    await store.uninstall('hostile')
    await callDaemon(a.host.paths.socket, 'reload')
    assert.deepEqual(a.host.runtime!.list(), [])
    await b.close() // stop, with the plugin still at it
  }
)
