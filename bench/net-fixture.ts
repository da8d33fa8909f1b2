import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import DHT from 'hyperdht'
import type { Testnet } from 'hyperdht/testnet.js'
import createTestnet from 'hyperdht/testnet.js'
import { Host } from '../host/daemon/host.ts'
import { silentLogger } from '../host/log/logger.ts'
import { echoApp, installApps, sinkApp } from './apps.ts'
import { startRawServers } from './raw-servers.ts'
import type { RawServers } from './raw-servers.ts'

/**
 * Everything a networked row needs, on loopback in this process: a HyperDHT testnet, a real
 * Host (its own DHT node, plugin workers, listeners, advertiser) running echo and sink, a
 * plain HyperDHT node running the same two servers in JS, and a plain client node. Both
 * server nodes are created alike, so the rows compare like with like.
 */

export interface Services {
  echo: Buffer
  sink: Buffer
}

export interface NetFixture {
  testnet: Testnet
  host: Host
  home: string
  raw: RawServers
  client: DHT
  /** Service keys of the host's plugins, and of the raw servers. */
  plugin: Services
  rawKeys: Services
  /** Service hash of the host's echo (the topic it is announced under). */
  echoHash: Buffer
  close(): Promise<void>
}

/** Start a fixture on a new testnet of `nodes` nodes. */
export async function startNetFixture(nodes = 10): Promise<NetFixture> {
  const cleanups: Array<() => Promise<unknown>> = []
  const close = async () => {
    while (cleanups.length) await cleanups.pop()!().catch(() => {})
  }
  try {
    const testnet = await createTestnet(nodes, { host: '127.0.0.1' })
    cleanups.push(() => testnet.destroy())
    const home = await mkdtemp(join(tmpdir(), 'hn-bench-'))
    cleanups.push(() => rm(home, { recursive: true, force: true }))
    await installApps(home, { echo: echoApp(), sink: await sinkApp() })
    const host = new Host({ home, bootstrap: testnet.bootstrap, logger: silentLogger() })
    cleanups.push(() => host.close())
    await host.ready()
    const raw = await startRawServers(testnet.bootstrap)
    cleanups.push(() => raw.close())
    const client = new DHT({ bootstrap: testnet.bootstrap })
    cleanups.push(() => client.destroy())
    await client.ready()
    const services = host.status().services
    const key = (app: string) => {
      const s = services.find((x) => x.app === app)
      if (!s) throw new Error(`bench: the host is not running ${app} (${JSON.stringify(host.status().apps)})`)
      return s
    }
    return {
      testnet,
      host,
      home,
      raw,
      client,
      plugin: { echo: Buffer.from(key('echo').key, 'hex'), sink: Buffer.from(key('sink').key, 'hex') },
      rawKeys: { echo: raw.echoKey, sink: raw.sinkKey },
      echoHash: Buffer.from(key('echo').hash, 'hex'),
      close
    }
  } catch (err) {
    await close()
    throw err
  }
}
