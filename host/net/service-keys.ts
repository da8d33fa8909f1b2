import { createHash } from 'node:crypto'
import DHT from 'hyperdht'
import type { KeyPair } from 'hyperdht'
import { NAMESPACE } from '../constants.ts'

/**
 * Each running service listens on its own HyperDHT key pair, derived from the host's secret
 * and the service hash:
 *   seed = SHA-256(NAMESPACE.SERVICE_KEY || host secret key (64 bytes) || service hash)
 * so a service keeps its address across restarts, and nobody without the host's secret can
 * derive it.
 */
export function deriveServiceKeyPair(hostSecretKey: Uint8Array, serviceHash: Uint8Array): KeyPair {
  const seed = createHash('sha256').update(NAMESPACE.SERVICE_KEY).update(hostSecretKey).update(serviceHash).digest()
  return DHT.keyPair(seed)
}
