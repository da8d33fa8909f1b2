import type { HypernetErrorCode } from '../errors.ts'

/**
 * The one place error codes become exit codes. Stable, documented in the README:
 * 0 ok, 1 failure, 2 usage, 3 daemon unreachable, 4 verification failed, 5 the app's build failed.
 */
export const EXIT = { OK: 0, FAILURE: 1, USAGE: 2, DAEMON: 3, VERIFY: 4, BUILD: 5 } as const

const BY_CODE: Partial<Record<HypernetErrorCode, number>> = {
  USAGE: EXIT.USAGE,
  BAD_KEY: EXIT.USAGE,
  BAD_HASH: EXIT.USAGE,
  FILE_NOT_FOUND: EXIT.USAGE,
  FILE_EXISTS: EXIT.USAGE,
  PATH_INVALID: EXIT.USAGE,
  CONFIG_INVALID: EXIT.USAGE,
  KEY_NOT_FOUND: EXIT.USAGE,
  APP_NOT_FOUND: EXIT.USAGE,
  KV_TOO_LARGE: EXIT.USAGE,
  BRIDGE_NOT_FOUND: EXIT.USAGE,
  ADDRESS_IN_USE: EXIT.USAGE,
  NAME_TAKEN: EXIT.USAGE,
  DAEMON_UNREACHABLE: EXIT.DAEMON,
  CONTROL_BUSY: EXIT.DAEMON,
  MANIFEST_NOT_JSON: EXIT.VERIFY,
  MANIFEST_INVALID: EXIT.VERIFY,
  WASM_INVALID: EXIT.VERIFY,
  SIGNATURE_INVALID: EXIT.VERIFY,
  CODE_HASH_MISMATCH: EXIT.VERIFY,
  MANIFEST_EXPIRED: EXIT.VERIFY,
  IMPORT_NOT_ALLOWED: EXIT.VERIFY,
  EXPORT_MISSING: EXIT.VERIFY,
  ABI_UNSUPPORTED: EXIT.VERIFY,
  MEMORY_LIMIT: EXIT.VERIFY,
  AUDIT_FAILED: EXIT.VERIFY,
  KEY_INVALID: EXIT.VERIFY,
  KEY_EXPOSED: EXIT.VERIFY,
  STORE_INDEX_INVALID: EXIT.VERIFY,
  PUBLISHER_CHANGED: EXIT.VERIFY,
  DOWNGRADE: EXIT.VERIFY,
  VERSION_CONFLICT: EXIT.VERIFY,
  CONFLICTING_MANIFESTS: EXIT.VERIFY,
  BUILD_FAILED: EXIT.BUILD
}

/**
 * The exit code for an error; anything unlisted is a plain failure. An error raised as the
 * verdict of an audit (`details.verdict`) is always a failed verification, whatever its code.
 */
export function exitCodeFor(code: string | undefined, details?: Record<string, unknown>): number {
  if (details?.verdict === true) return EXIT.VERIFY
  return (code && BY_CODE[code as HypernetErrorCode]) || EXIT.FAILURE
}
