import { createHash } from 'node:crypto'
import { NAMESPACE } from '../constants.ts'
import { parseHash } from '../encoding/ids.ts'

/**
 * The two names of running code. The code hash is SHA-256 of the wasm bytes (what `sha256sum`
 * prints and what Extism's manifest `hash` checks). The service hash names one service of one
 * exact build:
 *   SHA-256(NAMESPACE.SERVICE || code hash (32 bytes) || UTF-8 service name)
 * with NAMESPACE.SERVICE = SHA-256("hypernet/service/v1").
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
