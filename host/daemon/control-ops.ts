import type { ControlHandler } from '../control/control-server.ts'
import { lookupVerified } from '../dns/lookup.ts'
import { HypernetError } from '../errors.ts'
import { parseHash } from '../encoding/ids.ts'
import type { Host } from './host.ts'

/**
 * What the CLI may ask a running daemon, by operation name:
 * - `status`: the HostStatus snapshot
 * - `reload`: re-read the store (after install/uninstall), start and stop apps to match
 * - `restart { app }`: restart a plugin, also one marked failed
 * - `lookup { hash, limit?, timeoutMs?, all? }`: streams LookupPeer events, then ends
 * - `stop`: answer, then shut the daemon down
 */
export function controlOps(host: Host, requestStop: () => void): Record<string, ControlHandler> {
  return {
    status: async () => host.status(),
    reload: async () => {
      await host.sync()
      return host.status().apps.map((a) => ({ name: a.name, state: a.state }))
    },
    restart: async (args) => {
      if (typeof args.app !== 'string') throw HypernetError.USAGE('restart: expected an app name')
      await host.restartApp(args.app)
      return host.status().apps.find((a) => a.name === args.app)
    },
    lookup: async (args, emit, signal) => {
      const hash = parseHash(String(args.hash), 'hash')
      let n = 0
      for await (const p of lookupVerified(host.dht!, hash, { limit: args.limit, timeoutMs: args.timeoutMs, all: args.all, signal })) {
        emit(p)
        n++
      }
      return { found: n }
    },
    stop: async () => {
      setImmediate(requestStop)
      return { stopping: true }
    }
  }
}
