import type DHT from 'hyperdht'
import { NAMESPACE } from '../constants.ts'

/**
 * What a person needs to know about their own network, as HyperDHT sees it from one node:
 * - reachable or firewalled: whether other DHT nodes could open a connection to this node's
 *   port unasked (dht-rpc's own probe: nodes ping the server socket back);
 * - the NAT type: `open` (no NAT in the way), `consistent` (one public port per local port, as
 *   most home routers: hole punching works), `randomizing` (a new public port per destination:
 *   punching only works against a consistent peer, and two randomizing NATs always need a
 *   relay), or `unknown` (too few nodes answered to tell);
 * - what that means for hole punching, and whether a relay is there for when it cannot work.
 */

export type NatKind = 'open' | 'consistent' | 'randomizing' | 'unknown'

export interface NetcheckReport {
  /** Whether at least one DHT node answered the bootstrap. */
  bootstrapped: boolean
  reachable: boolean
  nat: NatKind
  publicAddress: string | null
  localAddress: string | null
  /** How many address samples HyperDHT's NAT sampler holds (more: surer). */
  samples: number
  holepunch: 'not needed' | 'likely' | 'unlikely' | 'unknown'
  relays: number
  /** What it means, in sentences. */
  advice: string[]
}

/** The NAT kind a DHT node has measured so far. */
export function natKind(dht: DHT): NatKind {
  if (!dht.firewalled) return 'open'
  const remote = dht.remoteAddress()
  if (dht.randomized) return 'randomizing'
  if (remote && remote.host && remote.port) return 'consistent'
  const nat = (dht as unknown as { _nat?: { host: string | null; port: number } })._nat
  if (nat?.host && nat.port) return 'consistent'
  return 'unknown'
}

/**
 * Ask DHT nodes to ping this node's port back, and mark it reachable if they can. dht-rpc runs
 * this same probe during bootstrap only when a quick ping wins a race with the bootstrap query
 * (else minutes later), so a fresh node may call itself firewalled when it is not.
 */
export async function probeReachability(dht: DHT): Promise<void> {
  const probe = (dht as unknown as { _updateNetworkState?: (onlyFirewall: boolean) => Promise<boolean> })._updateNetworkState
  if (dht.firewalled && typeof probe === 'function') await probe.call(dht, true).catch(() => false)
}

/** Count relays announced under the relay topic (bounded by `timeoutMs`). */
export async function countRelays(dht: DHT, timeoutMs = 3000): Promise<number> {
  const keys = new Set<string>()
  const query = dht.lookup(NAMESPACE.RELAY_TOPIC)
  const timer = setTimeout(() => query.destroy(), timeoutMs)
  try {
    for await (const reply of query) for (const p of reply.peers) keys.add(p.publicKey.toString('hex'))
  } catch {
    // a cut-short lookup keeps what it found
  } finally {
    clearTimeout(timer)
  }
  return keys.size
}

/** Check the network of a DHT node that has bootstrapped (waits up to `timeoutMs` for it). */
export async function netcheck(dht: DHT, opts: { timeoutMs?: number } = {}): Promise<NetcheckReport> {
  let timer: NodeJS.Timeout | undefined
  const finished = await Promise.race([
    dht.fullyBootstrapped().then(() => true),
    new Promise<boolean>((resolve) => (timer = setTimeout(() => resolve(false), opts.timeoutMs ?? 15_000)))
  ])
  clearTimeout(timer)
  // dht-rpc calls itself bootstrapped when its bootstrap query ends, even if no node answered it
  const bootstrapped = finished && dht.toArray().length > 0
  if (bootstrapped) await probeReachability(dht)
  const nat = natKind(dht)
  const remote = dht.remoteAddress()
  const nat_ = (dht as unknown as { _nat?: { host: string | null; port: number; size?: number } })._nat
  const publicAddress =
    remote && remote.host ? `${remote.host}:${remote.port}` : nat_?.host ? `${nat_.host}${nat_.port ? `:${nat_.port}` : ' (port varies)'}` : null
  const local = dht.address()
  const relays = bootstrapped ? await countRelays(dht) : 0
  const holepunch = nat === 'open' ? 'not needed' : nat === 'consistent' ? 'likely' : nat === 'randomizing' ? 'unlikely' : 'unknown'
  const advice: string[] = []
  if (!bootstrapped) advice.push('No DHT node answered: check the bootstrap addresses and that UDP is not blocked.')
  else if (nat === 'open')
    advice.push('Reachable: peers connect to this host directly; no hole punching is needed. It can serve as a relay for others (start --relay).')
  else if (nat === 'consistent')
    advice.push('Behind a NAT that keeps ports consistent: hole punching works with peers on open or consistent NATs, and usually with randomizing ones.')
  else if (nat === 'randomizing')
    advice.push('Behind a NAT that randomizes ports: hole punching fails with peers whose NAT randomizes too; those connections need a relay.')
  else advice.push('Too few DHT nodes answered to tell the NAT type; run it again in a minute.')
  if (bootstrapped && nat !== 'open') {
    advice.push(
      relays > 0
        ? `${relays} relay${relays === 1 ? '' : 's'} found in the DHT: connections that cannot be punched go through one automatically.`
        : 'No relay found in the DHT: connections that cannot be punched will fail (a reachable host started with --relay fixes that).'
    )
  }
  return {
    bootstrapped,
    reachable: !dht.firewalled,
    nat,
    publicAddress,
    localAddress: local ? `${local.host}:${local.port}` : null,
    samples: nat_?.size ?? 0,
    holepunch,
    relays,
    advice
  }
}
