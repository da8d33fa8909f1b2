import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import DHT from 'hyperdht'
import type { KeyPair, SecretStream } from 'hyperdht'
import type { Testnet } from 'hyperdht/testnet.js'
import { ControlServer } from '../../host/control/control-server.ts'
import { controlOps } from '../../host/daemon/control-ops.ts'
import { Host } from '../../host/daemon/host.ts'
import type { HostInit } from '../../host/daemon/host.ts'
import { silentLogger } from '../../host/log/logger.ts'

/**
 * Hosts for end-to-end tests: a real Host (identity, DHT node, plugin workers, listeners,
 * advertiser) with its control socket, on a loopback testnet, in a temp home.
 */

export interface TestHost {
  host: Host
  home: string
  control: ControlServer
  close(): Promise<void>
}

/** Start a host in `home` (a new temp folder if absent) joined to `testnet`; `init` adds HostInit fields. */
export async function startHost(testnet: Testnet, home?: string, init: Partial<HostInit> = {}): Promise<TestHost> {
  const dir = home ?? (await mkdtemp(join(tmpdir(), 'hn-host-')))
  const host = new Host({ home: dir, bootstrap: testnet.bootstrap, logger: silentLogger(), restart: { initialBackoffMs: 20, maxBackoffMs: 200 }, ...init })
  const control = new ControlServer(
    host.paths.socket,
    controlOps(host, () => {}),
    host.log
  )
  await control.ready()
  await host.ready()
  return {
    host,
    home: dir,
    control,
    async close() {
      await control.close()
      await host.close()
    }
  }
}

/** Remove a temp home. */
export function removeHome(home: string): Promise<void> {
  return rm(home, { recursive: true, force: true })
}

/** A plain HyperDHT client on the testnet: nothing from this project. */
export function plainClient(testnet: Testnet, keyPair?: KeyPair): DHT {
  return new DHT({ bootstrap: testnet.bootstrap, keyPair })
}

/** Open a stream to a key and wait for it. */
export function openStream(dht: DHT, key: string | Buffer, keyPair?: KeyPair): Promise<SecretStream> {
  const s = dht.connect(typeof key === 'string' ? Buffer.from(key, 'hex') : key, keyPair ? { keyPair } : undefined)
  return new Promise((resolve, reject) => {
    s.once('open', () => resolve(s))
    s.once('error', reject)
  })
}

/** Read from a stream until `n` bytes arrived (or it ends). */
export function readBytes(s: SecretStream, n: number, timeoutMs = 10_000): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = []
    let got = 0
    const timer = setTimeout(() => done(new Error(`timed out with ${got}/${n} bytes`)), timeoutMs)
    const onData = (d: Buffer) => {
      chunks.push(d)
      got += d.length
      if (got >= n) done()
    }
    const onEnd = () => done()
    function done(err?: Error) {
      clearTimeout(timer)
      s.removeListener('data', onData)
      s.removeListener('end', onEnd)
      s.removeListener('close', onEnd)
      if (err) reject(err)
      else resolve(Buffer.concat(chunks))
    }
    s.on('data', onData)
    s.once('end', onEnd)
    s.once('close', onEnd)
  })
}

/** A profile-protocol frame: type, u16 LE length, payload (plugins/profile/README.md). */
export function frame(type: number, payload: Buffer | string = Buffer.alloc(0)): Buffer {
  const p = typeof payload === 'string' ? Buffer.from(payload) : payload
  const h = Buffer.alloc(3)
  h[0] = type
  h.writeUInt16LE(p.length, 1)
  return Buffer.concat([h, p])
}

/** Read one profile frame. */
export async function readFrame(s: SecretStream): Promise<{ type: number; payload: Buffer }> {
  const head = await readExactly(s, 3)
  const len = head.readUInt16LE(1)
  return { type: head[0], payload: len ? await readExactly(s, len) : Buffer.alloc(0) }
}

const leftovers = new WeakMap<SecretStream, Buffer>()

async function readExactly(s: SecretStream, n: number): Promise<Buffer> {
  let buf = leftovers.get(s) ?? Buffer.alloc(0)
  if (buf.length < n) buf = Buffer.concat([buf, await readBytes(s, n - buf.length)])
  if (buf.length < n) throw new Error(`stream ended after ${buf.length}/${n} bytes`)
  leftovers.set(s, buf.subarray(n))
  return buf.subarray(0, n)
}

/**
 * A testnet of 10 with one host in a fresh home running `apps` (example apps), all torn down
 * by `defer` (a teardown() registrar) in reverse order; `init` adds HostInit fields (`metrics`, ...).
 */
export async function testnetWithHost(
  defer: (fn: () => unknown) => void,
  apps: string[],
  init: Partial<HostInit> = {}
): Promise<{ testnet: Testnet; home: string; h: TestHost }> {
  const { startTestnet } = await import('./testnet.ts')
  const { installExamples } = await import('../../host/demo/install-examples.ts')
  const testnet = await startTestnet(10)
  defer(() => testnet.destroy())
  const home = await mkdtemp(join(tmpdir(), 'hn-host-'))
  defer(() => removeHome(home))
  await installExamples(home, apps)
  const h = await startHost(testnet, home, init)
  defer(() => h.close())
  return { testnet, home, h }
}
