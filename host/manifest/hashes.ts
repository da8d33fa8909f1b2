import { createHash } from 'node:crypto'
import { NAMESPACE } from '../constants.ts'
import { parseHash, parseKey } from '../encoding/ids.ts'

/**
 * The two names of running code. The code hash is SHA-256 of the wasm bytes (what `sha256sum`
 * prints and what Extism's manifest `hash` checks). The service hash names one service of one
 * exact build:
 *   SHA-256(NAMESPACE.SERVICE || code hash (32 bytes) || UTF-8 service name)
 * with NAMESPACE.SERVICE = SHA-256("hypernet/service/v1"). The release topic names every version
 * of one app of one publisher, so a host can find newer releases without knowing their code hash:
 *   SHA-256(NAMESPACE.RELEASE || publisher key (32 bytes) || UTF-8 app name)
 */

/** SHA-256 of the module bytes. */
export function codeHash(wasm: Uint8Array): Buffer {
  return createHash('sha256').update(wasm).digest()
}

/** The service hash of service `name` of the code with hash `code` (bytes, hex or z32). */
export function serviceHash(code: Uint8Array | string, name: string): Buffer {
  const c = typeof code === 'string' ? parseHash(code, 'code hash') : code
  return createHash('sha256').update(NAMESPACE.SERVICE).update(c).update(name, 'utf8').digest()
}

/** The release topic of app `name` by `publisher` (bytes, hex or z32): where each host running any version of it announces. */
export function releaseTopic(publisher: Uint8Array | string, name: string): Buffer {
  const p = typeof publisher === 'string' ? parseKey(publisher, 'publisher') : publisher
  return createHash('sha256').update(NAMESPACE.RELEASE).update(p).update(name, 'utf8').digest()
}

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
