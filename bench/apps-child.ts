import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import DHT from 'hyperdht'
import createTestnet from 'hyperdht/testnet.js'
import { Host } from '../host/daemon/host.ts'
import { lookupVerified } from '../host/dns/lookup.ts'
import type { Logger } from '../host/log/logger.ts'
import { installEchoCopies } from './apps.ts'
import { firstByte } from './streams.ts'

/**
 * Child process of the many-apps row: a home with N distinct echo apps installed (one module,
 * N code hashes and manifests), a 10-node testnet, then a real Host that runs them all on
 * demand. Measures the process's RSS before the host and with it ready, the host's start-up
 * (new Host() to ready(): re-verify every app, listen on and announce every service, publish
 * the descriptor), one cold connect to an app in the middle, and verified lookups of the last
 * app. Prints one JSON line.
 *
 *   node --expose-gc --import tsx bench/apps-child.ts <n> [idle sample ms]
 */

const n = Number(process.argv[2] ?? 10)
/** How long the idle host's CPU and DHT traffic are sampled (argv[3], ms). */
const IDLE_SAMPLE_MS = Number(process.argv[3] ?? 6000)

/** Requests this DHT node has sent (dht-rpc's io stats), to count the announcers' pings. */
function pingsSent(dht: DHT): number {
  const s = (dht as unknown as { stats?: { requests?: { total?: number } } }).stats
  return s?.requests?.total ?? 0
}
const MB = 1024 * 1024

const settle = async (): Promise<number> => {
  for (let i = 0; i < 3; i++) {
    globalThis.gc?.()
    await new Promise((r) => setTimeout(r, 100))
  }
  return process.memoryUsage().rss
}

/** Counts the host's warnings by message (a descriptor that does not fit, failed announces). */
const warnings: Record<string, number> = {}
const count = (msg: string) => (warnings[msg] = (warnings[msg] ?? 0) + 1)
const log: Logger = { debug() {}, info() {}, warn: count, error: count, child: () => log }

/**
 * Whether the last app installed (on the descriptor's last page) is found by a verified lookup,
 * and what that lookup costs: the first (its page fetched), then repeated ones (the page kept)
 * against raw lookups of the same topic: the median of 15 rounds' ratios.
 */
async function lookupLast(hash: Buffer): Promise<{ found: number; how: string; coldMs: number; warmMs: number; rawMs: number; ratio: number }> {
  const verified = async () => {
    const t = performance.now()
    const peers = []
    for await (const p of lookupVerified(client, hash, { timeoutMs: 10_000 })) if (p.verified) peers.push(p)
    return { ms: performance.now() - t, peers }
  }
  const raw = async () => {
    const t = performance.now()
    for await (const _ of client.lookup(hash));
    return performance.now() - t
  }
  const first = await verified()
  // warm up, then rounds of ten each way, the order alternating, as row 4 pairs them: this
  // process also runs the host, whose 1,000 servers ping their relays in the background
  for (const until = performance.now() + 1000; performance.now() < until;) {
    await verified()
    await raw()
  }
  const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[xs.length >> 1]
  const ten = async (fn: () => Promise<number>) => {
    const xs: number[] = []
    for (let i = 0; i < 10; i++) xs.push(await fn())
    return median(xs)
  }
  const warm: number[] = []
  const base: number[] = []
  for (let r = 0; r < 15; r++) {
    const v = () => ten(async () => (await verified()).ms)
    if (r % 2 === 0) {
      warm.push(await v())
      base.push(await ten(raw))
    } else {
      base.push(await ten(raw))
      warm.push(await v())
    }
  }
  return {
    found: first.peers.length,
    how: first.peers[0]?.how ?? '',
    coldMs: first.ms,
    warmMs: median(warm),
    rawMs: median(base),
    ratio: median(warm.map((w, i) => w / base[i]))
  }
}

const home = await mkdtemp(join(tmpdir(), 'hn-bench-apps-'))
const testnet = await createTestnet(10, { host: '127.0.0.1' })
const client = new DHT({ bootstrap: testnet.bootstrap })
let host: Host | null = null
try {
  const g = performance.now()
  const names = await installEchoCopies(home, n)
  const installMs = performance.now() - g
  await client.ready()
  const before = await settle()
  const t = performance.now()
  host = new Host({ home, bootstrap: testnet.bootstrap, logger: log, idle: { defaultMs: 10 * 60_000 } })
  await host.ready()
  const startMs = performance.now() - t
  const after = await settle()
  // what N listened keys cost while nothing happens: every HyperDHT server pings the nodes
  // holding its announcement every 3 s (hyperdht's announcer), worker or no worker
  const cpu0 = process.cpuUsage()
  const pings0 = pingsSent(host.dht)
  await new Promise((r) => setTimeout(r, IDLE_SAMPLE_MS))
  const cpu1 = process.cpuUsage(cpu0)
  const idleCpuPercent = ((cpu1.user + cpu1.system) / 1000 / IDLE_SAMPLE_MS) * 100
  const idlePingsPerSecond = ((pingsSent(host.dht) - pings0) * 1000) / IDLE_SAMPLE_MS
  const st = host.status()
  const states: Record<string, number> = {}
  for (const a of st.apps) states[a.state] = (states[a.state] ?? 0) + 1
  const middle = st.services.find((s) => s.app === names[Math.floor(n / 2)])!
  const coldMs = await firstByte(client, Buffer.from(middle.key, 'hex'))
  const lookup = await lookupLast(Buffer.from(st.services.find((s) => s.app === names[n - 1])!.hash, 'hex'))
  const withOne = await settle()
  const c = performance.now()
  await host.close()
  const closeMs = performance.now() - c
  process.stdout.write(
    JSON.stringify({
      closeMs,
      n,
      installMs,
      before,
      after,
      withOneRunning: withOne,
      startMs,
      idleCpuPercent,
      idlePingsPerSecond,
      coldMs,
      states,
      services: st.services.length,
      descriptorPublished: st.descriptorPublished !== null,
      descriptorRecords: st.descriptorRecords ?? 1,
      lookup,
      warnings,
      perAppKiB: (after - before) / 1024 / n,
      afterMiB: after / MB
    }) + '\n'
  )
} finally {
  await host?.close()
  await client.destroy()
  await testnet.destroy()
  await rm(home, { recursive: true, force: true })
}
