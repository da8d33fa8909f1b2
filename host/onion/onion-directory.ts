import { randomInt } from 'node:crypto'
import type DHT from 'hyperdht'
import type { KeyPair } from 'hyperdht'
import { NAMESPACE } from '../constants.ts'
import { lookupVerified } from '../dns/index.ts'
import { serviceHash } from '../manifest/index.ts'
import type { DescriptorAppWire } from '../messages.ts'
import { deriveServiceKeyPair } from '../net/index.ts'

/**
 * Where onion relays are found. A relay host lists one extra entry in its signed descriptor,
 * as if it ran an app whose code hash is NAMESPACE.ONION_RELAY with one service `relay`, and
 * announces that service's hash. So the relay service hash is well known:
 *   ONION_RELAY_SERVICE_HASH = SHA-256(NAMESPACE.SERVICE || NAMESPACE.ONION_RELAY || "relay")
 * and a verified lookup of it returns only hosts whose descriptor vouches for a relay key
 * (the descriptor format is unchanged). Everyone looks up the same hash, so a lookup says only
 * that someone is about to use onion routing.
 */

export const ONION_RELAY_APP_NAME = 'onion-relay'
export const ONION_RELAY_SERVICE_NAME = 'relay'
export const ONION_RELAY_CODE_HASH: Buffer = NAMESPACE.ONION_RELAY
export const ONION_RELAY_SERVICE_HASH: Buffer = serviceHash(ONION_RELAY_CODE_HASH, ONION_RELAY_SERVICE_NAME)

/** A relay found in the p2p DNS: its host and the key its relay listens on (hex). */
export interface RelayInfo {
  hostKey: string
  relayKey: string
}

/** A host's relay key pair: stable across restarts, derived like a service's (service-keys.ts). */
export function onionRelayKeyPair(hostSecretKey: Uint8Array): KeyPair {
  return deriveServiceKeyPair(hostSecretKey, ONION_RELAY_SERVICE_HASH)
}

/** The descriptor entry a relay host adds to what it advertises. */
export function onionRelayEntry(
  hostKey: Uint8Array,
  relayKey: Uint8Array
): DescriptorAppWire & { codeHash: Buffer; publisher: Buffer; services: Array<{ name: string; port: number; key: Buffer }> } {
  return {
    codeHash: ONION_RELAY_CODE_HASH,
    name: ONION_RELAY_APP_NAME,
    version: '1',
    publisher: Buffer.from(hostKey),
    services: [{ name: ONION_RELAY_SERVICE_NAME, port: 0, key: Buffer.from(relayKey) }]
  }
}

/** Relays whose hosts vouch for them, one per host, as found within `timeoutMs`. */
export async function findOnionRelays(dht: DHT, opts: { timeoutMs?: number; limit?: number } = {}): Promise<RelayInfo[]> {
  const byHost = new Map<string, RelayInfo>()
  for await (const p of lookupVerified(dht, ONION_RELAY_SERVICE_HASH, { timeoutMs: opts.timeoutMs ?? 5000, limit: opts.limit ?? 256 })) {
    if (p.serviceKey && !byHost.has(p.hostKey)) byHost.set(p.hostKey, { hostKey: p.hostKey, relayKey: p.serviceKey })
  }
  return [...byHost.values()]
}

/**
 * Pick `hops` relays on distinct hosts, uniformly at random, leaving out `avoid` (host or
 * relay keys, hex). Returns fewer when not enough are left.
 */
export function pickPath(relays: readonly RelayInfo[], hops: number, avoid: ReadonlySet<string> = new Set()): RelayInfo[] {
  const pool = relays.filter((r) => !avoid.has(r.hostKey) && !avoid.has(r.relayKey))
  const out: RelayInfo[] = []
  const hosts = new Set<string>()
  while (out.length < hops && pool.length > 0) {
    const [r] = pool.splice(randomInt(pool.length), 1)
    if (hosts.has(r.hostKey)) continue
    hosts.add(r.hostKey)
    out.push(r)
  }
  return out
}
