/**
 * One error type for the whole host. Every failure a caller may act on carries a stable
 * string `code`; the message reads `CODE: what was expected, what came`. The CLI maps codes
 * to exit codes in one place (`host/cli/exit-codes.ts`), so handlers only ever throw.
 */

export type HypernetErrorCode =
  // usage: the caller asked for something malformed
  | 'USAGE'
  | 'BAD_KEY'
  | 'BAD_HASH'
  // files and formats
  | 'FILE_NOT_FOUND'
  | 'FILE_EXISTS'
  | 'PATH_INVALID'
  | 'CONFIG_INVALID'
  | 'MANIFEST_NOT_JSON'
  | 'MANIFEST_INVALID'
  | 'WASM_INVALID'
  // building an app (dev)
  | 'BUILD_FAILED'
  // verification
  | 'SIGNATURE_INVALID'
  | 'CODE_HASH_MISMATCH'
  | 'MANIFEST_EXPIRED'
  | 'IMPORT_NOT_ALLOWED'
  | 'EXPORT_MISSING'
  | 'ABI_UNSUPPORTED'
  | 'MEMORY_LIMIT'
  | 'AUDIT_FAILED'
  // install and store
  | 'CONSENT_REQUIRED'
  | 'CONSENT_DENIED'
  | 'APP_NOT_FOUND'
  | 'STORE_LOCKED'
  | 'STORE_INDEX_INVALID'
  | 'DISK_FULL'
  | 'KEY_NOT_FOUND'
  | 'KEY_INVALID'
  | 'KEY_EXPOSED'
  // install policy (TUF's attacks)
  | 'PUBLISHER_CHANGED'
  | 'DOWNGRADE'
  | 'VERSION_CONFLICT'
  | 'STORE_CHANGED'
  | 'CONFLICTING_MANIFESTS'
  // the apps protocol: what a vendor refused, or why fetching failed
  | 'NOT_SERVED'
  | 'SERVING_DISABLED'
  | 'NOT_REDISTRIBUTABLE'
  | 'SERVING_BUSY'
  | 'SERVING_TOO_LARGE'
  | 'FETCH_FAILED'
  // runtime
  | 'PLUGIN_CRASHED'
  | 'PLUGIN_TIMEOUT'
  | 'PLUGIN_FAILED'
  | 'PLUGIN_CLOSED'
  | 'PERMISSION_DENIED'
  // daemon and network
  | 'DAEMON_UNREACHABLE'
  | 'DAEMON_RUNNING'
  | 'SOCKET_PATH_TOO_LONG'
  | 'NOT_FOUND'
  | 'TIMEOUT'
  | 'CONNECTION_FAILED'
  | 'BAD_MESSAGE'
  // the control socket
  | 'UNKNOWN_OP'
  | 'BAD_ARGS'
  | 'MESSAGE_TOO_LARGE'
  | 'CONTROL_BUSY'
  // bridges
  | 'BRIDGE_NOT_FOUND'
  | 'ADDRESS_IN_USE'
  | 'NAME_TAKEN'
  // the DHT key-value store
  | 'KV_NOT_OWNER'
  | 'KV_STALE'
  | 'KV_REMOVED'
  | 'KV_TOO_LARGE'
  | 'KV_QUOTA'
  | 'KV_REFUSED'
  | 'KV_UNAVAILABLE'
  // onion routing
  | 'CIRCUIT_FAILED'
  | 'CIRCUIT_TAMPERED'
  | 'NO_RELAYS'
  | 'INTERNAL'

export interface HypernetErrorOptions {
  cause?: unknown
  /** Extra machine-readable context, shown by `--json` output. */
  details?: Record<string, unknown>
}

/** The host's only error class. Construct through the static factories, never directly. */
export class HypernetError extends Error {
  readonly code: HypernetErrorCode
  readonly details?: Record<string, unknown>

  constructor(code: HypernetErrorCode, msg: string, opts: HypernetErrorOptions = {}) {
    super(`${code}: ${msg}`, opts.cause === undefined ? undefined : { cause: opts.cause })
    this.code = code
    this.details = opts.details
  }

  override get name(): string {
    return 'HypernetError'
  }

  static USAGE(msg: string): HypernetError {
    return new HypernetError('USAGE', msg)
  }

  static BAD_KEY(what: string, got: string): HypernetError {
    return new HypernetError('BAD_KEY', `${what}: expected a 32-byte key as 64 hex or 52 z32 characters, got ${quote(got)}`)
  }

  static BAD_HASH(what: string, got: string): HypernetError {
    return new HypernetError('BAD_HASH', `${what}: expected a 32-byte hash as 64 hex or 52 z32 characters, got ${quote(got)}`)
  }

  static FILE_NOT_FOUND(file: string, what = 'file'): HypernetError {
    return new HypernetError('FILE_NOT_FOUND', `${file}: ${what} not found`)
  }

  /** `hint` says what to do instead (default: the --force the command takes). */
  static FILE_EXISTS(file: string, hint = 'pass --force to replace it'): HypernetError {
    return new HypernetError('FILE_EXISTS', `${file}: already exists (${hint})`)
  }

  /** A path given to write to cannot be written: its folder is missing, or it is a folder where a file is wanted. */
  static PATH_INVALID(flag: string, path: string, expected: string, got: string): HypernetError {
    return new HypernetError('PATH_INVALID', `${flag} ${path}: expected ${expected}, ${got}; nothing was written`, { details: { path } })
  }

  /** The config file (or a `config set` value) breaks its schema: names the file and the field. */
  static CONFIG_INVALID(file: string, path: string, msg: string, cause?: unknown): HypernetError {
    return new HypernetError('CONFIG_INVALID', `${file} ${path || '/'}: ${msg}`, { cause, details: { file, path } })
  }

  static MANIFEST_NOT_JSON(file: string, cause?: unknown): HypernetError {
    const why = cause instanceof Error ? cause.message : 'not valid JSON'
    return new HypernetError('MANIFEST_NOT_JSON', `${file}: expected a JSON manifest, ${why}`, { cause })
  }

  static MANIFEST_INVALID(path: string, msg: string): HypernetError {
    return new HypernetError('MANIFEST_INVALID', `${path || '/'}: ${msg}`, { details: { path } })
  }

  static WASM_INVALID(file: string, msg: string, cause?: unknown): HypernetError {
    return new HypernetError('WASM_INVALID', `${file}: ${msg}`, { cause })
  }

  /** The project's build (npm install, npm run build) failed: its own output says why. */
  static BUILD_FAILED(msg: string): HypernetError {
    return new HypernetError('BUILD_FAILED', msg)
  }

  static SIGNATURE_INVALID(msg = 'the manifest signature does not verify against its publisher key'): HypernetError {
    return new HypernetError('SIGNATURE_INVALID', msg)
  }

  static CODE_HASH_MISMATCH(expected: string, got: string): HypernetError {
    return new HypernetError('CODE_HASH_MISMATCH', `the wasm does not match the signed code hash: manifest says ${expected}, the file hashes to ${got}`, {
      details: { expected, got }
    })
  }

  static MANIFEST_EXPIRED(expires: string): HypernetError {
    return new HypernetError('MANIFEST_EXPIRED', `the manifest expired at ${expires}`)
  }

  static IMPORT_NOT_ALLOWED(imports: string[], hint?: string): HypernetError {
    const why = `the wasm imports functions this host does not offer: ${imports.join(', ')}${hint ? ` (${hint})` : ''}`
    return new HypernetError('IMPORT_NOT_ALLOWED', why, { details: { imports } })
  }

  static EXPORT_MISSING(exports: string[]): HypernetError {
    return new HypernetError('EXPORT_MISSING', `the wasm does not export what the host needs: ${exports.join(', ')}`, { details: { exports } })
  }

  static ABI_UNSUPPORTED(got: number, supported: number[]): HypernetError {
    return new HypernetError(
      'ABI_UNSUPPORTED',
      `the plugin was built for ABI ${got}, this host supports ABI ${supported.join(', ')}; rebuild it with a current SDK`
    )
  }

  static MEMORY_LIMIT(msg: string): HypernetError {
    return new HypernetError('MEMORY_LIMIT', msg)
  }

  static AUDIT_FAILED(firstProblem: string, details?: Record<string, unknown>): HypernetError {
    return new HypernetError('AUDIT_FAILED', firstProblem, { details })
  }

  static CONSENT_REQUIRED(): HypernetError {
    return new HypernetError(
      'CONSENT_REQUIRED',
      'installing needs your consent: run in a terminal to be asked, pass --yes, or trust the publisher first (trust add <key>)'
    )
  }

  static CONSENT_DENIED(): HypernetError {
    return new HypernetError('CONSENT_DENIED', 'installation cancelled: consent was not given')
  }

  static APP_NOT_FOUND(ref: string): HypernetError {
    return new HypernetError('APP_NOT_FOUND', `no installed app matches ${quote(ref)} (expected an app name or code hash; see list)`)
  }

  /** The filesystem under `path` has no space (or quota) left: ENOSPC, EDQUOT. */
  static DISK_FULL(path: string, what: string, cause?: unknown, outcome = 'nothing was changed, free some space and try again'): HypernetError {
    return new HypernetError(
      'DISK_FULL',
      `${path}: expected room to ${what}, the disk is full (${(cause as { code?: string })?.code ?? 'ENOSPC'}); ${outcome}`,
      { cause, details: { path } }
    )
  }

  static STORE_LOCKED(file: string): HypernetError {
    return new HypernetError('STORE_LOCKED', `${file}: the app store is locked by another process for too long`)
  }

  /** `store/index.json` has an entry the store will not act on; `field` names it (`apps["echo"].codeHash`). */
  static STORE_INDEX_INVALID(file: string, field: string, expected: string, got: unknown, gotText = describeValue(got)): HypernetError {
    return new HypernetError(
      'STORE_INDEX_INVALID',
      `${file}${field ? `: ${field}` : ''}: expected ${expected}, got ${gotText}; nothing was changed (fix or remove that entry, or move the file aside to start an empty store)`,
      { details: { file, field } }
    )
  }

  /** `hint` replaces the default advice, which fits only a key in the home's keys/ folder. */
  static KEY_NOT_FOUND(file: string, hint?: string): HypernetError {
    const name = /([^/\\]+)\.key$/.exec(file)?.[1]
    const flag = name && name !== 'publisher' ? ` --name ${name}` : ''
    return new HypernetError('KEY_NOT_FOUND', `${file}: no key there (${hint ?? `create one with: hypernet-host keys generate${flag}`})`)
  }

  static KEY_INVALID(file: string, why: string): HypernetError {
    return new HypernetError('KEY_INVALID', `${file}: expected an ed25519 key file, ${why}`)
  }

  /**
   * A key file group or others may read or write: refused, as ssh refuses such a private key.
   * `secret` names another kind of secret file (the web token) and how to make a new one.
   */
  static KEY_EXPOSED(file: string, mode: number, secret: { name: string; renew: string } = { name: 'key', renew: 'make a new key' }): HypernetError {
    const m = mode.toString(8).padStart(4, '0')
    const what = secret.name === 'key' ? 'the secret key' : `the ${secret.name}`
    return new HypernetError(
      'KEY_EXPOSED',
      `${file}: expected a ${secret.name} file only its owner can read (mode 0600), got mode ${m}; others on this machine may have read ${what}: if none did, run chmod 600 ${file}, else ${secret.renew}`,
      { details: { file, mode: m } }
    )
  }

  static PUBLISHER_CHANGED(app: string, installed: string, offered: string): HypernetError {
    return new HypernetError(
      'PUBLISHER_CHANGED',
      `${app} is installed from publisher ${installed}; this one is signed by another publisher ${offered} (pass --replace-publisher to replace it, after checking both keys)`,
      { details: { app, installed, offered } }
    )
  }

  static DOWNGRADE(app: string, installed: string, offered: string): HypernetError {
    return new HypernetError('DOWNGRADE', `${app} ${installed} is installed; ${offered} is older (a rollback; pass --allow-downgrade if you mean it)`, {
      details: { app, installed, offered }
    })
  }

  static VERSION_CONFLICT(app: string, version: string, installedCode: string, offeredCode: string): HypernetError {
    return new HypernetError(
      'VERSION_CONFLICT',
      `${app} ${version} is installed with code ${installedCode}; this ${version} has other code ${offeredCode} (one version, one code: the publisher must bump the version)`,
      { details: { app, version, installedCode, offeredCode } }
    )
  }

  static STORE_CHANGED(app: string, consented: string, now: string): HypernetError {
    return new HypernetError(
      'STORE_CHANGED',
      `${app}: the store changed while you were asked (you agreed to ${consented}, it is now ${now}); nothing was installed, run the command again`,
      { details: { app, consented, now } }
    )
  }

  static CONFLICTING_MANIFESTS(hash: string, signers: string[]): HypernetError {
    return new HypernetError(
      'CONFLICTING_MANIFESTS',
      `${hash} is offered under manifests of ${signers.length} different apps or publishers (${signers.join('; ')}): trust the one you mean (trust add <key>) or install from its file`,
      { details: { signers } }
    )
  }

  /** A vendor's coded refusal (APPS_REFUSAL), or FETCH_FAILED when every vendor failed. */
  static REFUSED(
    code: 'NOT_SERVED' | 'SERVING_DISABLED' | 'NOT_REDISTRIBUTABLE' | 'SERVING_BUSY' | 'SERVING_TOO_LARGE' | 'BAD_MESSAGE',
    msg: string,
    details?: Record<string, unknown>
  ): HypernetError {
    return new HypernetError(code, msg, { details })
  }

  static FETCH_FAILED(hash: string, problems: string[]): HypernetError {
    return new HypernetError('FETCH_FAILED', `could not fetch ${hash} from any of ${problems.length} vendor(s): ${problems.join('; ')}`, {
      details: { problems }
    })
  }

  static PLUGIN_CRASHED(app: string, why: string): HypernetError {
    return new HypernetError('PLUGIN_CRASHED', `${app}: ${why}`)
  }

  static PLUGIN_TIMEOUT(app: string, ms: number, call = 'a call'): HypernetError {
    return new HypernetError('PLUGIN_TIMEOUT', `${app}: ${call} ran past its ${ms} ms deadline`, { details: { call, ms } })
  }

  static PLUGIN_FAILED(app: string, why: string): HypernetError {
    return new HypernetError('PLUGIN_FAILED', `${app}: ${why}`)
  }

  static PLUGIN_CLOSED(app: string): HypernetError {
    return new HypernetError('PLUGIN_CLOSED', `${app}: the plugin is not running`)
  }

  static PERMISSION_DENIED(app: string, what: string): HypernetError {
    return new HypernetError('PERMISSION_DENIED', `${app}: ${what} is not granted by its manifest`)
  }

  static DAEMON_UNREACHABLE(socket: string, why = 'no daemon is running'): HypernetError {
    return new HypernetError('DAEMON_UNREACHABLE', `${socket}: ${why} (start one with: hypernet-host start)`)
  }

  static DAEMON_RUNNING(socket: string): HypernetError {
    return new HypernetError('DAEMON_RUNNING', `${socket}: a daemon is already running for this home`)
  }

  static SOCKET_PATH_TOO_LONG(path: string, bytes: number, max: number): HypernetError {
    return new HypernetError(
      'SOCKET_PATH_TOO_LONG',
      `${path}: the control socket path must be at most ${max} bytes (the Unix socket limit), this one is ${bytes}; choose a shorter --home or HYPERNET_HOME`,
      { details: { path, bytes, max } }
    )
  }

  static NOT_FOUND(msg: string): HypernetError {
    return new HypernetError('NOT_FOUND', msg)
  }

  static TIMEOUT(msg: string): HypernetError {
    return new HypernetError('TIMEOUT', msg)
  }

  static CONNECTION_FAILED(msg: string, cause?: unknown, details?: Record<string, unknown>): HypernetError {
    return new HypernetError('CONNECTION_FAILED', msg, { cause, details })
  }

  static BAD_MESSAGE(msg: string): HypernetError {
    return new HypernetError('BAD_MESSAGE', msg)
  }

  /** A control request naming no operation the daemon offers (`constructor` and `__proto__` included). */
  static UNKNOWN_OP(got: unknown, known: string[]): HypernetError {
    return new HypernetError('UNKNOWN_OP', `op: expected one of ${known.join(', ')}, got ${describeValue(got)}`, { details: { known } })
  }

  /** A control request whose `args` do not match its operation's schema; `field` is a JSON path. */
  static BAD_ARGS(op: string, field: string, expected: string): HypernetError {
    return new HypernetError('BAD_ARGS', `${op} args${field}: ${expected}`, { details: { op, field } })
  }

  static MESSAGE_TOO_LARGE(what: string, max: number): HypernetError {
    return new HypernetError('MESSAGE_TOO_LARGE', `${what}: expected at most ${max} bytes before a newline, got more; connection closed`, { details: { max } })
  }

  static CONTROL_BUSY(socket: string, max: number): HypernetError {
    return new HypernetError('CONTROL_BUSY', `${socket}: expected at most ${max} control connections at once, this one is over; try again when others close`, {
      details: { max }
    })
  }

  static BRIDGE_NOT_FOUND(ref: string): HypernetError {
    return new HypernetError(
      'BRIDGE_NOT_FOUND',
      `no bridge matches ${quote(ref)} (expected an exposed service name, or a listen bridge's host:port or port; see bridge list)`
    )
  }

  static ADDRESS_IN_USE(field: string, address: string, by?: string, cause?: unknown, kind = 'TCP address'): HypernetError {
    return new HypernetError('ADDRESS_IN_USE', `${field}: expected a free local ${kind}, ${address} is already in use${by ? ` by ${by}` : ''}`, {
      cause,
      details: { field, address }
    })
  }

  static NAME_TAKEN(field: string, name: string, owner: string): HypernetError {
    return new HypernetError('NAME_TAKEN', `${field}: expected a service name not used on this host, ${quote(name)} is taken by ${owner}`, {
      details: { field, name, owner }
    })
  }

  static KV_NOT_OWNER(address: string, why: string, details?: Record<string, unknown>): HypernetError {
    return new HypernetError('KV_NOT_OWNER', `${address}: only the record's owner may change or remove it; ${why}`, { details: { address, ...details } })
  }

  static KV_STALE(address: string, seq: number, current: number, details?: Record<string, unknown>): HypernetError {
    return new HypernetError('KV_STALE', `${address}: expected a sequence number above ${current}, got ${seq} (a newer version is stored)`, {
      details: { address, seq, current, ...details }
    })
  }

  static KV_REMOVED(address: string, owner: string, seq: number): HypernetError {
    return new HypernetError('KV_REMOVED', `${address}: removed by its owner ${owner} (removal seq ${seq})`, {
      details: { address, owner, seq, removed: true }
    })
  }

  static KV_TOO_LARGE(field: string, bytes: number, max: number): HypernetError {
    return new HypernetError('KV_TOO_LARGE', `${field}: expected at most ${max} bytes, got ${bytes}`, { details: { field, bytes, max } })
  }

  static KV_QUOTA(msg: string, details?: Record<string, unknown>): HypernetError {
    return new HypernetError('KV_QUOTA', msg, { details })
  }

  static KV_REFUSED(address: string, why: string, details?: Record<string, unknown>): HypernetError {
    return new HypernetError('KV_REFUSED', `${address}: the storing nodes refused it (${why})`, { details: { address, ...details } })
  }

  static KV_UNAVAILABLE(address: string, why: string, details?: Record<string, unknown>): HypernetError {
    return new HypernetError('KV_UNAVAILABLE', `${address}: ${why}`, { details: { address, ...details } })
  }

  /** A circuit could not be built or died; `details.reason` is the wire reason's name. */
  static CIRCUIT_FAILED(msg: string, reason: string, cause?: unknown): HypernetError {
    return new HypernetError('CIRCUIT_FAILED', msg, { cause, details: { reason } })
  }

  /** A cell failed its MAC (tampered, replayed or reordered): the circuit is torn down. */
  static CIRCUIT_TAMPERED(where: string): HypernetError {
    return new HypernetError(
      'CIRCUIT_TAMPERED',
      `${where}: expected a cell that authenticates under the hop's key and next counter, got one that does not; circuit torn down`,
      { details: { reason: 'tampered' } }
    )
  }

  static NO_RELAYS(wanted: number, found: number): HypernetError {
    return new HypernetError(
      'NO_RELAYS',
      `expected at least ${wanted} onion relays on distinct hosts, found ${found} usable (hosts offer one with: hypernet-host start --onion-relay)`,
      { details: { wanted, found } }
    )
  }

  static INTERNAL(msg: string, cause?: unknown): HypernetError {
    return new HypernetError('INTERNAL', msg, { cause })
  }

  /** Rebuild an error that crossed a thread or socket as { code, message, details }. */
  static fromJSON(e: { code: HypernetErrorCode; message: string; details?: Record<string, unknown> }): HypernetError {
    return new HypernetError(e.code, e.message.startsWith(`${e.code}: `) ? e.message.slice(e.code.length + 2) : e.message, { details: e.details })
  }
}

/** True when `err` is a HypernetError, optionally with the given code. */
export function isHypernetError(err: unknown, code?: HypernetErrorCode): err is HypernetError {
  return err instanceof HypernetError && (code === undefined || err.code === code)
}

/** A value named for a message: short, and never its raw bytes. */
export function describeValue(v: unknown): string {
  if (v === undefined) return 'nothing'
  if (v === null) return 'null'
  if (Array.isArray(v)) return 'an array'
  if (typeof v === 'object') return 'an object'
  if (typeof v === 'string') return quote(v)
  return `${typeof v} ${String(v)}`
}

function quote(s: string): string {
  const short = s.length > 80 ? s.slice(0, 77) + '...' : s
  return JSON.stringify(short)
}
