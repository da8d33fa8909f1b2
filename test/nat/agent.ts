import { randomBytes } from 'node:crypto'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { createInterface } from 'node:readline'
import createTestnet from 'hyperdht/testnet.js'
import type { SecretStream } from 'hyperdht'
import { Host } from '../../host/daemon/host.ts'
import { silentLogger } from '../../host/log/logger.ts'
import { natKind } from '../../host/net/netcheck.ts'
import { echo, tcpServer } from '../helpers/tcp.ts'

/**
 * One node of the NAT testbed, run inside a namespace by nat.test.ts:
 *   node --import tsx test/nat/agent.ts boot <ip>            a 10-node DHT bootstrap on <ip>:49737
 *   node --import tsx test/nat/agent.ts host <bootstrap> [relay [<limits JSON>]]
 *     a real Host that exposes a TCP echo server as service "echo" through a bridge
 *     (and, with `relay`, offers itself as a relay with those limits)
 * It prints JSON lines: first `{ ready, ... }`, then one answer per request read on stdin:
 *   { id, op: 'dial', key }    connect through the host (relays when punching fails), send
 *                              64 KiB, check the echo; keeps the stream open and answers
 *                              { ms, path, remote, relay, echoed }
 *   { id, op: 'paths' }        how the open connections of the "echo" bridge travel
 *   { id, op: 'path' }         the path the last dialled stream takes now, and whether it
 *                              still echoes (1 KiB there and back)
 *   { id, op: 'close' }        close the dialled streams
 *   { id, op: 'info' }         NAT kind and relays known
 * and exits when stdin ends.
 */

const [role, arg, flag, limits] = process.argv.slice(2)
const say = (m: unknown) => process.stdout.write(JSON.stringify(m) + '\n')

async function boot(ip: string): Promise<() => Promise<void>> {
  const testnet = await createTestnet(10, { host: ip, port: 49737 })
  say({ ready: true, bootstrap: `${ip}:49737` })
  return () => testnet.destroy()
}

async function host(bootstrap: string, relay: boolean, relayLimits?: Record<string, number>): Promise<() => Promise<void>> {
  const home = await mkdtemp(join(tmpdir(), 'hn-nat-'))
  const [h, p] = bootstrap.split(':')
  const server = await tcpServer(echo)
  const node = new Host({ home, bootstrap: [{ host: h, port: Number(p) }], logger: silentLogger(), relay: relay ? { limits: relayLimits } : undefined })
  await node.ready()
  await node.dht!.fullyBootstrapped()
  const st = await node.bridges!.add({ kind: 'expose', name: 'echo', target: `127.0.0.1:${server.port}` })
  const streams: SecretStream[] = []
  say({ ready: true, key: st.key, hash: st.hash, host: node.status().host.key, relay: node.relay ? node.relay.status().key : null })

  const rl = createInterface({ input: process.stdin })
  rl.on('line', (line) => {
    const req = JSON.parse(line)
    const answer = (m: Record<string, unknown>) => say({ id: req.id, ...m })
    const t0 = performance.now()
    void (async () => {
      try {
        if (req.op === 'dial') {
          const s = await node.connect(Buffer.from(req.key, 'hex'), 15_000)
          const ms = performance.now() - t0
          streams.push(s)
          s.on('error', () => {})
          const data = randomBytes(64 * 1024)
          const back: Buffer[] = []
          let got = 0
          const echoed = await new Promise<boolean>((resolve) => {
            const timer = setTimeout(() => resolve(false), 10_000)
            s.on('data', (d: Buffer) => {
              back.push(d)
              got += d.length
              if (got >= data.length) {
                clearTimeout(timer)
                resolve(Buffer.concat(back).equals(data))
              }
            })
            s.write(data)
          })
          answer({ ok: true, ms: Math.round(ms * 10) / 10, echoed, ...node.pathTracker!.pathOf(s) })
        } else if (req.op === 'paths') {
          answer({ ok: true, open: node.status().bridges!.find((b) => b.name === 'echo')!.open })
        } else if (req.op === 'open') {
          // connect and keep the stream, nothing more (to hold a relay slot)
          const s = await node.connect(Buffer.from(req.key, 'hex'), 15_000)
          s.on('error', () => {})
          streams.push(s)
          answer({ ok: true, ...node.pathTracker!.pathOf(s) })
        } else if (req.op === 'path') {
          const s = streams.at(-1)
          if (!s || s.destroyed) return answer({ ok: false, error: 'no open stream' })
          const data = randomBytes(1024)
          const back: Buffer[] = []
          const echoed = await new Promise<boolean>((resolve) => {
            const timer = setTimeout(() => resolve(false), 10_000)
            const onData = (d: Buffer) => {
              back.push(d)
              if (Buffer.concat(back).length < data.length) return
              clearTimeout(timer)
              s.removeListener('data', onData)
              resolve(Buffer.concat(back).equals(data))
            }
            s.on('data', onData)
            s.write(data)
          })
          answer({ ok: true, echoed, ...node.pathTracker!.pathOf(s) })
        } else if (req.op === 'close') {
          for (const s of streams.splice(0)) s.destroy()
          answer({ ok: true })
        } else if (req.op === 'info') {
          answer({ ok: true, nat: natKind(node.dht!), firewalled: node.dht!.firewalled, relays: node.relays!.list(), relay: node.relay?.status() ?? null })
        } else answer({ ok: false, error: `unknown op ${req.op}` })
      } catch (err) {
        answer({ ok: false, code: (err as { code?: string }).code, error: (err as Error).message, ms: Math.round((performance.now() - t0) * 10) / 10 })
      }
    })()
  })
  return async () => {
    rl.close()
    await node.close()
    await server.close()
    await rm(home, { recursive: true, force: true })
  }
}

const stop = role === 'boot' ? await boot(arg) : await host(arg, flag === 'relay', limits ? JSON.parse(limits) : undefined)
const quit = async () => {
  await stop().catch(() => {})
  process.exit(0)
}
process.stdin.on('end', () => void quit())
process.stdin.resume()
process.once('SIGTERM', () => void quit())
