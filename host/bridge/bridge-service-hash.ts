import { createHash } from 'node:crypto'
import { NAMESPACE } from '../constants.ts'

/**
 * The name of a TCP service exposed through a bridge. It has no code, so its hash binds the
 * service to the host that exposes it instead of to a build:
 *   SHA-256(NAMESPACE.BRIDGE_SERVICE || host key (32 bytes) || UTF-8 service name)
 * with NAMESPACE.BRIDGE_SERVICE = SHA-256("hypernet/bridge-service/v1"). The namespace keeps it
 * from ever equalling a plugin's service hash; readers recompute it from the host descriptor.
 */
export function bridgeServiceHash(hostKey: Uint8Array, name: string): Buffer {
  return createHash('sha256').update(NAMESPACE.BRIDGE_SERVICE).update(hostKey).update(name, 'utf8').digest()
}

/** Service names a bridge may take: the manifest's rule for service names. */
export const SERVICE_NAME = /^[a-z0-9][a-z0-9._-]{0,63}$/
