import type DHT from 'hyperdht'
import { lookupVerified } from '../dns/index.ts'
import { formatId } from '../encoding/ids.ts'
import { HypernetError } from '../errors.ts'
import type { OnionClient } from './onion-client.ts'
import type { OnionStream } from './onion-stream.ts'

/**
 * A plugin's anonymous dial (`anonymous/<service hash>[@<service key>]` in its manifest and its
 * hn_connect target): the service key comes from the target, else from a verified lookup of
 * the hash (made from this host's node: nodes near the hash see this host ask for it), then
 * the stream goes through a fresh onion circuit.
 */

export interface AnonymousTarget {
  serviceHash: Buffer
  serviceKey: Buffer | null
}

/**
 * Open an anonymous stream to a service, skipping service keys in `exclude` (hex).
 * @throws NOT_FOUND when no verified peer vends the hash; NO_RELAYS, CIRCUIT_FAILED, CIRCUIT_TAMPERED
 */
export async function dialAnonymous(dht: DHT, client: OnionClient, target: AnonymousTarget, exclude: ReadonlySet<string> = new Set()): Promise<OnionStream> {
  let key = target.serviceKey
  if (!key) {
    for await (const p of lookupVerified(dht, target.serviceHash, { timeoutMs: 5000 })) {
      if (p.serviceKey && !exclude.has(p.serviceKey)) {
        key = Buffer.from(p.serviceKey, 'hex')
        break
      }
    }
  }
  if (!key) throw HypernetError.NOT_FOUND(`no verified peer vends service ${formatId(target.serviceHash)}`)
  return client.connect(key)
}
