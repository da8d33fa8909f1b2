import { readJsonFile } from '../util/json-file.ts'
import { dirname } from 'node:path'
import { formatId, parseHash, parseKey } from '../encoding/ids.ts'
import { HypernetError } from '../errors.ts'
import { withLock } from '../store/index.ts'
import { atomicWrite } from '../util/atomic-write.ts'
import { SERVICE_NAME } from './bridge-service-hash.ts'
import { formatHostPort, parseHost, parseHostPort, parsePort } from './parse-address.ts'
import { makeDirs } from '../util/make-dirs.ts'

/**
 * The host's bridges, kept in `<home>/bridges.json` (written atomically, under a lock):
 * `{ "version": 1, "bridges": [ ... ] }` (version 2 while any bridge is anonymous or hidden: a
 * daemon from before those refuses that file rather than quietly connecting or publishing in the
 * open), each either
 * - `{ "kind": "listen", "target": <service key or hash, hex>, "host": "127.0.0.1", "port": 8080 }`:
 *   a local TCP port whose connections go to a Hypernet service, each through a fresh onion
 *   circuit when `"anonymous": true`, or to a hidden service (the target is its hidden key)
 *   when `"hidden": true` (either absent means false, so files from before them still load,
 *   and a plain bridge is written exactly as before), or
 * - `{ "kind": "expose", "name": "web", "target": "127.0.0.1:3000" }`: a local TCP server
 *   published as the Hypernet service `name` of this host; with `"hidden": true`, as a hidden
 *   service instead (README: Hidden services), never listed in the host's descriptor.
 * A listen bridge is named by its address (`127.0.0.1:8080`, or just `8080`), an exposed one by
 * its service name. The daemon applies the file at start and on every change.
 */

export interface ListenBridgeConfig {
  kind: 'listen'
  target: string
  host: string
  port: number
  /** Every connection through a fresh three-hop onion circuit (README: Anonymous routing). */
  anonymous: boolean
  /** The target is a hidden service key, met at a rendezvous relay (README: Hidden services). */
  hidden: boolean
}

export interface ExposeBridgeConfig {
  kind: 'expose'
  name: string
  target: string
  /** Published as a hidden service: reachable only through onion relays, by its hidden key. */
  hidden: boolean
}

export type BridgeConfig = ListenBridgeConfig | ExposeBridgeConfig

/** The name a bridge goes by in `bridge list` and `bridge remove`. */
export function bridgeId(b: BridgeConfig): string {
  return b.kind === 'expose' ? b.name : formatHostPort(b)
}

/** Whether `ref` (a name, host:port or port) names `b`. */
export function bridgeMatches(b: BridgeConfig, ref: string): boolean {
  if (b.kind === 'expose') return b.name === ref
  return ref === bridgeId(b) || ref === `${b.host}:${b.port}` || ref === String(b.port)
}

/**
 * Check and normalise a bridge from user input.
 * @throws USAGE, BAD_HASH naming the field at fault
 */
export function validateBridge(input: Record<string, unknown>): BridgeConfig {
  if (input.kind === 'listen') {
    const anonymous = flag(input.anonymous, '--anonymous')
    const hidden = flag(input.hidden, '--hidden')
    if (anonymous && hidden) throw HypernetError.USAGE('--anonymous, --hidden: choose one (a hidden service is always reached anonymously)')
    const target = formatId(hidden ? parseKey(String(input.target ?? ''), 'target') : parseHash(String(input.target ?? ''), 'target'))
    return { kind: 'listen', target, host: parseHost(input.host ?? '127.0.0.1', '--host'), port: parsePort(input.port, '--port'), anonymous, hidden }
  }
  if (input.kind === 'expose') {
    if (input.anonymous !== undefined && input.anonymous !== false) throw anonymousRefused('expose')
    const hidden = flag(input.hidden, '--hidden')
    const name = input.name
    if (typeof name !== 'string' || !SERVICE_NAME.test(name)) {
      throw HypernetError.USAGE(`--name: expected a service name (lowercase letters, digits, . _ -, at most 64), got ${JSON.stringify(name ?? null)}`)
    }
    return { kind: 'expose', name, target: formatHostPort(parseHostPort(input.target, 'address')), hidden }
  }
  throw HypernetError.USAGE(`bridge: expected kind "listen" or "expose", got ${JSON.stringify(input.kind ?? null)}`)
}

/**
 * `--anonymous` where it means nothing: only a listen bridge dials out. An exposed server is
 * dialled by its clients, who choose whether they come through circuits; `remove` and `list`
 * change no connection.
 */
export function anonymousRefused(action: string): HypernetError {
  return HypernetError.USAGE(`--anonymous: only bridge listen goes through onion circuits, not bridge ${action}`)
}

/** `--hidden` on `remove` or `list`, which change no connection. */
export function hiddenRefused(action: string): HypernetError {
  return HypernetError.USAGE(`--hidden: only bridge listen (to a hidden key) and bridge expose (as a hidden service) take it, not bridge ${action}`)
}

function flag(v: unknown, name: string): boolean {
  if (v === undefined) return false
  if (typeof v !== 'boolean') throw HypernetError.USAGE(`${name}: expected true or false, got ${JSON.stringify(v)}`)
  return v
}

export class BridgeStore {
  constructor(readonly file: string) {}

  /** Every configured bridge. @throws INTERNAL when the file is unreadable */
  async read(): Promise<BridgeConfig[]> {
    return readJsonFile(
      this.file,
      'bridge list',
      () => [],
      (f) => {
        if ((f.version !== 1 && f.version !== 2) || !Array.isArray(f.bridges)) throw new Error(`version ${f.version} is unknown (expected 1 or 2)`)
        return f.bridges.map((b: Record<string, unknown>) => validateBridge(b))
      }
    )
  }

  /**
   * Add a bridge, refusing a clash with one already there.
   * @throws NAME_TAKEN, ADDRESS_IN_USE
   */
  async add(b: BridgeConfig): Promise<BridgeConfig[]> {
    return this.update((all) => {
      for (const o of all) {
        if (b.kind === 'expose' && o.kind === 'expose' && o.name === b.name) throw HypernetError.NAME_TAKEN('--name', b.name, `the bridge exposing ${o.target}`)
        if (b.kind === 'listen' && o.kind === 'listen' && o.port === b.port && (o.host === b.host || o.host === '0.0.0.0' || b.host === '0.0.0.0')) {
          throw HypernetError.ADDRESS_IN_USE('--port', formatHostPort(b), `the bridge to ${o.target}`)
        }
      }
      all.push(b)
    })
  }

  /** Remove the bridge `ref` names. @throws BRIDGE_NOT_FOUND */
  async remove(ref: string): Promise<BridgeConfig> {
    let removed: BridgeConfig | null = null
    await this.update((all) => {
      const i = all.findIndex((b) => bridgeMatches(b, ref))
      if (i === -1) throw HypernetError.BRIDGE_NOT_FOUND(ref)
      removed = all.splice(i, 1)[0]
    })
    return removed!
  }

  private async update(fn: (all: BridgeConfig[]) => void): Promise<BridgeConfig[]> {
    await makeDirs(dirname(this.file))
    return withLock(`${this.file}.lock`, async () => {
      const all = await this.read()
      fn(all)
      const version = all.some((b) => b.hidden || (b.kind === 'listen' && b.anonymous)) ? 2 : 1
      await atomicWrite(this.file, JSON.stringify({ version, bridges: all.map(stored) }, null, 2) + '\n')
      return all
    })
  }
}

/** A bridge as written to the file: `anonymous` and `hidden` only when true. */
function stored(b: BridgeConfig): Record<string, unknown> {
  const out: Record<string, unknown> = { ...b }
  if (!out.anonymous) delete out.anonymous
  if (!out.hidden) delete out.hidden
  return out
}
