import type { ControlHandler } from '../control/control-server.ts'
import { endorsementCheck } from '../dns/endorsement.ts'
import { lookupVerified } from '../dns/lookup.ts'
import { HypernetError } from '../errors.ts'
import { parseHash } from '../encoding/ids.ts'
import { kvControlOps } from '../kv/kv-control.ts'
import type { Host } from './host.ts'

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
 */
export function controlOps(host: Host, requestStop: () => void): Record<string, ControlHandler> {
  return {
    status: async () => host.status(),
    reload: async () => {
      await host.sync()
      await host.bridges?.reload()
      return host.status().apps.map((a) => ({ name: a.name, state: a.state }))
    },
    restart: async (args) => {
      if (typeof args.app !== 'string') throw HypernetError.USAGE('restart: expected an app name')
      await host.restartApp(args.app)
      return host.status().apps.find((a) => a.name === args.app)
    },
    lookup: async (args, emit, signal) => {
      const hash = parseHash(String(args.hash), 'hash')
      if (args.hosts !== undefined && !(Array.isArray(args.hosts) && args.hosts.every((h: unknown) => typeof h === 'string'))) throw HypernetError.USAGE('lookup: hosts: expected an array of host keys')
      const hosts = args.hosts ? new Set<string>(args.hosts) : undefined
      let n = 0
      for await (const p of lookupVerified(host.dht!, hash, { limit: args.limit, timeoutMs: args.timeoutMs, all: args.all, signal, hosts, endorsements: endorsementCheck(host.dht!), endorsedOnly: args.endorsed === true })) {
        emit(p)
        n++
      }
      return { found: n }
    },
    'bridge.add': async (args) => bridges(host).add(args),
    'bridge.remove': async (args) => {
      if (typeof args.ref !== 'string') throw HypernetError.USAGE('bridge remove: expected a bridge name, host:port or port')
      return bridges(host).remove(args.ref)
    },
    'bridge.list': async () => bridges(host).status(),
    ...kvControlOps(() => {
      if (!host.kv) throw HypernetError.DAEMON_UNREACHABLE(host.paths.socket, 'the daemon is still starting')
      return host.kv
    }),
    stop: async () => {
      setImmediate(requestStop)
      return { stopping: true, pid: process.pid }
    }
  }
}

function bridges(host: Host) {
  if (!host.bridges) throw HypernetError.DAEMON_UNREACHABLE(host.paths.socket, 'the daemon is still starting')
  return host.bridges
}
