import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import DHT from 'hyperdht'
import type { KeyPair } from 'hyperdht'
import type { Testnet } from 'hyperdht/testnet.js'
import { KV } from '../../host/constants.ts'
import { formatId } from '../../host/encoding/ids.ts'
import { recordTarget } from '../../host/kv/kv-address.ts'
import { KvPlugin, registerKvPlugin } from '../../host/kv/kv-plugin.ts'
import type { KvNodeStoreInit } from '../../host/kv/kv-node-store.ts'
import { KvService } from '../../host/kv/kv-service.ts'
import type { KvServiceInit } from '../../host/kv/kv-service.ts'
import { startTestnet } from './testnet.ts'

/**
 * A loopback HyperDHT whose every node runs the Hypernet KV plugin (only nodes running it
 * answer its commands), with helpers to see which nodes hold a record and to stop them.
 */

export async function startKvTestnet(size = 24, init: KvNodeStoreInit = {}): Promise<Testnet> {
  const testnet = await startTestnet(size)
  for (const node of testnet.nodes) registerKvPlugin(node, init)
  return testnet
}

/** The KV plugin a node runs. */
export function pluginOf(node: DHT): KvPlugin {
  const p = node.plugins.get(KV.plugin)
  if (!(p instanceof KvPlugin)) throw new Error('the node does not run the KV plugin')
  return p
}

/** Testnet nodes holding a copy of the record at `address`, on the plugin path or the HyperDHT mirror. */
export function holdersOf(testnet: Testnet, address: Uint8Array): DHT[] {
  const target = recordTarget(address)
  return testnet.nodes.filter((n) => {
    if (n.destroyed || n.ephemeral) return false
    const p = n.plugins.get(KV.plugin) as KvPlugin | undefined
    return Boolean(p?.store.get(target)) || Boolean((n as any)._persistent?.mutables.get(formatId(target)))
  })
}

/** Testnet nodes holding a copy of the content-addressed value at `address` (HyperDHT's immutable records). */
export function immutableHoldersOf(testnet: Testnet, address: Uint8Array): DHT[] {
  return testnet.nodes.filter((n) => !n.destroyed && !n.ephemeral && Boolean((n as any)._persistent?.immutables.get(formatId(address))))
}

/** Make every node drop its copies of a record and of a content-addressed value, as at the end of their TTL. */
export function expireEverywhere(testnet: Testnet, address: Uint8Array): void {
  const target = formatId(recordTarget(address))
  for (const n of testnet.nodes) {
    const p = n.plugins.get(KV.plugin) as KvPlugin | undefined
    if (p?.store.get(recordTarget(address))) p.store.clear()
    ;(n as any)._persistent?.mutables.delete(target)
    ;(n as any)._persistent?.immutables.delete(formatId(address))
  }
}

/** Stop nodes for good (they leave the testnet's list, so its teardown skips them). */
export async function stopNodes(testnet: Testnet, nodes: DHT[]): Promise<void> {
  for (const n of nodes) {
    forget(testnet, n)
    await n.destroy()
  }
}

export interface KvClient {
  dht: DHT
  kv: KvService
  identity: KeyPair
  home: string
  close(): Promise<void>
}

/** An ephemeral node on the testnet with a KV service of its own (a host without apps). */
export async function kvClient(testnet: Testnet, init: KvServiceInit = {}, identity: KeyPair = DHT.keyPair()): Promise<KvClient> {
  const home = await mkdtemp(join(tmpdir(), 'hn-kv-'))
  const dht = testnet.createNode()
  await dht.fullyBootstrapped()
  const kv = new KvService({ dht, identity, paths: { kv: join(home, 'kv'), keys: join(home, 'keys') } }, { republish: false, ...init })
  await kv.ready()
  return {
    dht,
    kv,
    identity,
    home,
    async close() {
      await kv.close()
      forget(testnet, dht)
      await dht.destroy()
      await rm(home, { recursive: true, force: true })
    }
  }
}

function forget(testnet: Testnet, node: DHT): void {
  const i = testnet.nodes.indexOf(node)
  if (i >= 0) testnet.nodes.splice(i, 1)
}
