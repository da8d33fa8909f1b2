import { spawn } from 'node:child_process'
import type { ChildProcess } from 'node:child_process'
import { createInterface } from 'node:readline'
import { fileURLToPath } from 'node:url'
import DHT from 'hyperdht'
import type { NodeAddress } from 'hyperdht'
import { formatId } from '../../host/encoding/ids.ts'
import { OnionRelay } from '../../host/onion/index.ts'
import type { OnionRelayInit, OnionRelayStatus, RelayInfo } from '../../host/onion/index.ts'

/**
 * An onion relay in a child process of its own (a DHT node and an OnionRelay on a testnet), so
 * a test can flood it and read its own RSS, and see it crash if it does. Run as a script, it
 * prints `{ key }` once listening, then answers each `status` line on stdin with
 * `{ status, rssMiB, heapMiB }`.
 */

export interface RelayProcess {
  info: RelayInfo
  child: ChildProcess
  status(): Promise<{ status: OnionRelayStatus; rssMiB: number; heapMiB: number }>
  /** Whether the process is still running. */
  alive(): boolean
  stop(): Promise<void>
}

export async function startRelayProcess(bootstrap: NodeAddress[], init: Omit<OnionRelayInit, 'logger' | 'observe'> = {}): Promise<RelayProcess> {
  const child = spawn(process.execPath, ['--import', 'tsx', fileURLToPath(import.meta.url), JSON.stringify({ bootstrap, init })], {
    stdio: ['pipe', 'pipe', 'inherit']
  })
  const lines = createInterface({ input: child.stdout! })
  const waiting: Array<(line: string) => void> = []
  let exited = false
  child.once('exit', () => (exited = true))
  lines.on('line', (line) => waiting.shift()?.(line))
  const next = () =>
    new Promise<string>((resolve, reject) => {
      if (exited) return reject(new Error('the relay process has exited'))
      waiting.push(resolve)
      child.once('exit', (code, signal) => reject(new Error(`the relay process exited (${code ?? signal})`)))
    })
  const first = next()
  const { key } = JSON.parse(await first) as { key: string }
  return {
    info: { hostKey: key, relayKey: key },
    child,
    alive: () => !exited,
    async status() {
      const line = next()
      child.stdin!.write('status\n')
      return JSON.parse(await line)
    },
    async stop() {
      if (exited) return
      const gone = new Promise((resolve) => child.once('exit', resolve))
      child.kill('SIGTERM')
      await gone
    }
  }
}

async function main(): Promise<void> {
  const { bootstrap, init } = JSON.parse(process.argv[2]) as { bootstrap: NodeAddress[]; init: OnionRelayInit }
  const dht = new DHT({ bootstrap, host: '127.0.0.1' })
  await dht.ready()
  const relay = new OnionRelay(dht, DHT.keyPair(), init)
  await relay.ready()
  process.stdout.write(JSON.stringify({ key: formatId(relay.publicKey) }) + '\n')
  createInterface({ input: process.stdin }).on('line', () => {
    const m = process.memoryUsage()
    process.stdout.write(JSON.stringify({ status: relay.status(), rssMiB: m.rss / 2 ** 20, heapMiB: m.heapUsed / 2 ** 20 }) + '\n')
  })
  process.once('SIGTERM', () => {
    relay
      .close()
      .then(() => dht.destroy())
      .finally(() => process.exit(0))
  })
}

if (process.argv[1] === fileURLToPath(import.meta.url)) await main()
