import DHT from 'hyperdht'
import { Advertiser } from '../../host/dns/advertiser.ts'
import { lookupVerified } from '../../host/dns/lookup.ts'
import { silentLogger } from '../../host/log/logger.ts'
import { startTestnet } from './testnet.ts'

/**
 * The lookup soak, run in a child with --expose-gc (test/dns/lookup-soak.test.ts): `hosts` hosts
 * advertise one app on a 10-node testnet, then one client runs `calls` verified lookups that
 * each stop at the first peer (as a dial does), and prints one JSON line: the heap and external
 * memory after GC at the start and at each quarter, and dht-rpc's request backlog at the end.
 */
const hosts = Number(process.argv[2] ?? 9)
const calls = Number(process.argv[3] ?? 1500)
const gc = (globalThis as { gc?: () => void }).gc
if (!gc) throw new Error('run with --expose-gc')

const testnet = await startTestnet(10)
const code = Buffer.alloc(32, 7)
const advertisers: Advertiser[] = []
for (let i = 0; i < hosts; i++) {
  const adv = new Advertiser(testnet.createNode(), DHT.keyPair(), silentLogger())
  advertisers.push(adv)
  await adv.setApps([
    { codeHash: code, name: 'echo', version: '1.0.0', publisher: Buffer.alloc(32, 9), services: [{ name: 'echo', port: 7, key: Buffer.alloc(32, 1) }] }
  ])
}
const client = testnet.createNode()
await client.ready()

const once = async () => {
  for await (const _ of lookupVerified(client, code, { timeoutMs: 5000 })) break
}
const measure = () => {
  gc()
  gc()
  const m = process.memoryUsage()
  return { heap: m.heapUsed, external: m.external + m.arrayBuffers }
}
for (let i = 0; i < 200; i++) await once()
const samples = [measure()]
const started = Date.now()
for (let i = 1; i <= calls; i++) {
  await once()
  if (i % Math.floor(calls / 4) === 0) samples.push(measure())
}
const io = (client as unknown as { io: { _pending: unknown[]; inflight: unknown[] } }).io
process.stdout.write(JSON.stringify({ calls, ms: Date.now() - started, samples, pending: io._pending.length, inflight: io.inflight.length }) + '\n')
for (const a of advertisers) await a.close()
await testnet.destroy()
