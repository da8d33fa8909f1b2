import DHT from 'hyperdht'
import type { KeyPair, NodeAddress } from 'hyperdht'
import createTestnet from 'hyperdht/testnet.js'
import type { Testnet } from 'hyperdht/testnet.js'
import { HypernetError } from '../errors.ts'

/**
 * The host's HyperDHT node. Without bootstrap addresses it joins the public HyperDHT network;
 * `startLocalNetwork` runs a whole DHT on loopback in this process for a laptop with no network
 * (and for tests).
 */

/**
 * Parse `host:port` bootstrap addresses.
 * @throws USAGE naming the bad address
 */
export function parseBootstrap(list: string[] | undefined): NodeAddress[] | undefined {
  if (!list || list.length === 0) return undefined
  return list
    .flatMap((s) => s.split(','))
    .filter(Boolean)
    .map((s) => {
      const m = /^(?:[^@]+@)?([^:]+):(\d{1,5})$/.exec(s.trim())
      const port = m ? Number(m[2]) : NaN
      if (!m || port < 1 || port > 65535) throw HypernetError.USAGE(`--bootstrap: expected host:port, got ${JSON.stringify(s)}`)
      return { host: m[1], port }
    })
}

export interface DhtInit {
  bootstrap?: NodeAddress[]
  port?: number
  keyPair?: KeyPair
  /** Bind to loopback only (local networks). */
  host?: string
}

/** Create a DHT node and wait until it is bootstrapped. @throws ADDRESS_IN_USE (see bindDhtNode) */
export async function createDhtNode(init: DhtInit): Promise<DHT> {
  const dht = await bindDhtNode(init)
  await dht.ready()
  return dht
}

/**
 * Create a DHT node and bind its sockets, without waiting for the bootstrap (which takes seconds
 * when no bootstrap node answers). dht-rpc quietly binds the next free port when the asked one
 * is taken; an explicit port is a promise to whoever bootstraps from it, so that is an error.
 * @throws ADDRESS_IN_USE when `init.port` was given and could not be bound (the node is destroyed)
 */
export async function bindDhtNode(init: DhtInit): Promise<DHT> {
  const dht = new DHT({ bootstrap: init.bootstrap, port: init.port, keyPair: init.keyPair, host: init.host })
  try {
    await dht.bind()
  } catch (err) {
    await dht.destroy()
    throw err
  }
  const bound = dht.localAddress()?.port
  if (init.port && bound !== init.port) {
    await dht.destroy()
    throw HypernetError.ADDRESS_IN_USE('--port', `${init.host ?? '0.0.0.0'}:${init.port}`, undefined, undefined, 'UDP port')
  }
  return dht
}

export interface LocalNetwork {
  bootstrap: NodeAddress[]
  /** `host:port` of the first node, for other hosts' `--bootstrap`. */
  address: string
  /** Its nodes (persistent DHT nodes: the host runs the DHT store's plugin on them). */
  nodes: DHT[]
  close(): Promise<void>
}

/**
 * Run a DHT of `size` nodes in this process, on 127.0.0.1 (or reachable at `host` from other
 * machines); its bootstrap node on `port` when given.
 * @throws ADDRESS_IN_USE when `port` is taken (dht-rpc would quietly take another)
 */
export async function startLocalNetwork(size = 10, port?: number, host = '127.0.0.1'): Promise<LocalNetwork> {
  // hyperdht's testnet binds 0.0.0.0 for any host but 127.0.0.1, and hands out `host` as the address
  const testnet: Testnet = await createTestnet(size, { host, port })
  const first = testnet.bootstrap[0]
  if (port && first.port !== port) {
    await testnet.destroy()
    throw HypernetError.ADDRESS_IN_USE('--local-port', `${host}:${port}`, undefined, undefined, 'UDP port')
  }
  let closed = false
  return {
    bootstrap: testnet.bootstrap,
    address: `${first.host}:${first.port}`,
    nodes: testnet.nodes,
    async close() {
      if (closed) return
      closed = true
      await testnet.destroy()
    }
  }
}

export interface BootstrapNode {
  dht: DHT
  /** Every node it runs, the bootstrap node first. */
  nodes: DHT[]
  /** `host:port`, what other hosts put in --bootstrap or `config set bootstrap`. */
  address: string
  close(): Promise<void>
}

/**
 * Run a bootstrap node of a private network: hyperdht's own bootstrap mode (`DHT.bootstrapper`,
 * what `hyperdht --bootstrap --host` runs): persistent and unfirewalled from the first moment,
 * its node id derived from `host:port`, so `host` must be the IPv4 address others reach it at.
 * It binds all interfaces. `join` names the other bootstrap nodes of the same network.
 * `size - 1` more persistent nodes run beside it (measured: with the bootstrap node alone, hosts
 * that are still adaptive found each other's records but could not connect, since hole punching
 * needs NAT samples from several nodes; hyperdht's testnet uses 10 for the same reason).
 * @throws ADDRESS_IN_USE when `port` is taken
 */
export async function startBootstrapNode(host: string, port: number, join: NodeAddress[] = [], size = 1): Promise<BootstrapNode> {
  const dht = DHT.bootstrapper(port, host, { bootstrap: join })
  const nodes = [dht]
  let closed = false
  const close = async () => {
    if (closed) return
    closed = true
    for (const n of [...nodes].reverse()) await n.destroy()
  }
  try {
    await dht.ready()
    for (let i = 1; i < size; i++) {
      const node = new DHT({ ephemeral: false, firewalled: false, bootstrap: [{ host, port }, ...join] })
      nodes.push(node)
      await node.fullyBootstrapped()
    }
  } catch (err) {
    await close()
    if ((err as NodeJS.ErrnoException).code === 'EADDRINUSE') throw HypernetError.ADDRESS_IN_USE('--port', `0.0.0.0:${port}`, undefined, err, 'UDP port')
    throw err
  }
  return { dht, nodes, address: `${host}:${port}`, close }
}
