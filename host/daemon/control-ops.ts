import type { ControlOp } from '../control/index.ts'
import { NO_ARGS, argsSchema, bool, int, num, str } from '../control/index.ts'
import { endorsementCheck } from '../dns/index.ts'
import { lookupVerified } from '../dns/index.ts'
import { HypernetError } from '../errors.ts'
import { parseHash } from '../encoding/ids.ts'
import { kvControlOps } from '../kv/index.ts'
import type { HostParts } from './host-parts.ts'
import type { HostStatus } from './host-status.ts'

/**
 * What the CLI may ask a running daemon, by operation name:
 * - `status`: the HostStatus snapshot
 * - `reload`: re-read the store (after install/uninstall) and bridges.json, start and stop apps and bridges to match
 * - `restart { app }`: restart a plugin, also one marked failed
 * - `lookup { hash, limit?, timeoutMs?, all?, endorsed?, hosts? }`: streams LookupPeer events (each checked for
 *   its publisher's endorsement; with `endorsed` only endorsed ones), then ends
 * - `stop`: answer, then shut the daemon down
 * - `bridge.add { kind, ... }`, `bridge.remove { ref }`, `bridge.list`: bridges, applied at once
 *   and kept in `<home>/bridges.json` (see host/bridge/bridge-store.ts)
 * - `kv.put`, `kv.get`, `kv.rm`, `kv.pin`, `kv.unpin`, `kv.ls`, `kv.repair`: the DHT key-value
 *   store (see host/kv/kv-control.ts)
 * Each declares the schema of its args; the control server refuses what does not match (BAD_ARGS)
 * before the operation runs.
 */

/** What the operations use of the host; a part not built yet answers DAEMON_UNREACHABLE ("still starting"). */
export interface ControlHost {
  readonly paths: { readonly socket: string }
  /** The parts built so far. */
  readonly built: Readonly<Partial<Pick<HostParts, 'dht' | 'kv' | 'bridges'>>>
  status(): HostStatus
  sync(): Promise<void>
  restartApp(name: string): Promise<void>
}

export function controlOps(host: ControlHost, requestStop: () => void): Record<string, ControlOp> {
  return {
    status: { args: NO_ARGS, run: async () => host.status() },
    reload: {
      args: NO_ARGS,
      run: async () => {
        await host.sync()
        await host.built.bridges?.reload()
        return host.status().apps.map((a) => ({ name: a.name, state: a.state }))
      }
    },
    restart: {
      args: argsSchema({ app: str(256) }, ['app']),
      run: async (args) => {
        await host.restartApp(args.app)
        return host.status().apps.find((a) => a.name === args.app)
      }
    },
    lookup: {
      // numbers, not integers: `--timeout 1.5` and `--limit` come from the command line as they are
      args: argsSchema(
        {
          hash: str(128),
          limit: num(1, 100_000),
          timeoutMs: num(1, 24 * 60 * 60_000),
          all: bool,
          endorsed: bool,
          hosts: { type: 'array', maxItems: 4096, items: str(128) }
        },
        ['hash']
      ),
      run: async (args, emit, signal) => {
        const hash = parseHash(args.hash, 'hash')
        const hosts = args.hosts ? new Set<string>(args.hosts) : undefined
        const d = part(host, 'dht')
        let n = 0
        for await (const p of lookupVerified(d, hash, {
          limit: args.limit,
          timeoutMs: args.timeoutMs,
          all: args.all,
          signal,
          hosts,
          endorsements: endorsementCheck(d),
          endorsedOnly: args.endorsed === true
        })) {
          emit(p)
          n++
        }
        return { found: n }
      }
    },
    'bridge.add': {
      // the shape only: validateBridge (in bridges.add) checks every value and names the flag at fault
      args: argsSchema(
        { kind: { enum: ['listen', 'expose'] }, target: str(256), host: str(256), port: int(0, 65535), name: str(256), anonymous: bool, hidden: bool },
        ['kind']
      ),
      run: async (args) => part(host, 'bridges').add(args)
    },
    'bridge.remove': { args: argsSchema({ ref: str(256) }, ['ref']), run: async (args) => part(host, 'bridges').remove(args.ref) },
    'bridge.list': { args: NO_ARGS, run: async () => part(host, 'bridges').status() },
    ...kvControlOps(() => part(host, 'kv')),
    stop: {
      args: NO_ARGS,
      run: async () => {
        setImmediate(requestStop)
        return { stopping: true, pid: process.pid }
      }
    }
  }
}

/** A part of the host once built. @throws DAEMON_UNREACHABLE while the daemon is still starting */
function part<K extends keyof ControlHost['built']>(host: ControlHost, name: K): NonNullable<ControlHost['built'][K]> {
  const p = host.built[name]
  if (!p) throw HypernetError.DAEMON_UNREACHABLE(host.paths.socket, 'the daemon is still starting')
  return p
}
