import test from 'node:test'
import { createHash, randomBytes } from 'node:crypto'
import DHT from 'hyperdht'
import { formatId } from '../../host/encoding/ids.ts'
import { ClientCircuit, OnionRelay } from '../../host/onion/index.ts'
import { plainClient } from '../helpers/hosts.ts'
import { teardown } from '../helpers/teardown.ts'
import { startTestnet } from '../helpers/testnet.ts'

test('measure', async (t) => {
  const defer = teardown(t)
  const testnet = await startTestnet(10)
  defer(() => testnet.destroy())
  const destDht = plainClient(testnet)
  defer(() => destDht.destroy())
  let payload = Buffer.alloc(0)
  const key = DHT.keyPair()
  const server = destDht.createServer({}, (s) => {
    s.on('error', () => {})
    s.on('data', () => {})
    let off = 0
    const p = payload
    const write = () => {
      while (off < p.byteLength) {
        const ok = s.write(p.subarray(off, off + 64 * 1024))
        off += 64 * 1024
        if (!ok) return void s.once('drain', write)
      }
      s.end()
    }
    write()
  })
  await server.listen(key)
  defer(() => server.close())
  const dht = plainClient(testnet)
  defer(() => dht.destroy())
  await dht.ready()
  const cases: Array<[number, number, number]> = JSON.parse(process.env.CASES ?? '[]')
  for (const [rate, mib, n] of cases) {
    const rdht = plainClient(testnet)
    defer(() => rdht.destroy())
    const r = new OnionRelay(rdht, DHT.keyPair(), { extendTimeoutMs: 3000, maxBytesPerSecond: rate === 0 ? Infinity : rate * 1024 * 1024 })
    await r.ready()
    defer(() => r.close())
    const k = formatId(r.publicKey)
    payload = randomBytes(mib * 1024 * 1024)
    let most = 0
    const sample = setInterval(() => (most = Math.max(most, r.status().held)), 5)
    const t0 = Date.now()
    const results = await Promise.all(
      Array.from({ length: n }, async () => {
        const c = new ClientCircuit(dht, [{ hostKey: k, relayKey: k }], 5000)
        await c.build()
        const s = await c.begin(key.publicKey)
        let got = 0
        const h = createHash('sha256')
        return new Promise<string>((resolve) => {
          s.on('data', (d: Buffer) => (h.update(d), (got += d.byteLength)))
          s.on('end', () => resolve(`ok ${got} ${h.digest('hex') === createHash('sha256').update(payload).digest('hex')}`))
          s.on('error', (e: Error) => resolve(`err ${got} ${e.message}`))
        })
      })
    )
    clearInterval(sample)
    const st = r.status()
    console.log(`# rate ${rate} MiB/s, ${n} x ${mib} MiB: ${Date.now() - t0} ms, most held ${most}, limited ${st.limited} shed ${st.shed}: ${results.join(' | ')}`)
  }
})
