import c from 'compact-encoding'
import Plugin from 'hyperdht/lib/plugin.js'
import type { IncomingRequest, PluginRequest } from 'hyperdht/lib/plugin.js'
import { pluginRequest } from 'hyperdht/lib/messages.js'
import type DHT from 'hyperdht'
import { KV, KV_WIRE_ERROR } from '../constants.ts'
import { KvNodeStore } from './kv-node-store.ts'
import type { KvNodeStoreInit } from './kv-node-store.ts'

/**
 * The Hypernet KV plugin: HyperDHT's custom-command API (`dht.register`, hyperdht 6.31+) used to
 * store signed records for others, under the rules of KvNodeStore. Two commands, carried in
 * HyperDHT's PLUGIN command as `{ plugin: 'hypernet-kv', version: 1, command, value }`:
 * - GET (0): the target's stored envelope, or an empty reply;
 * - PUT (1), with the token of an earlier reply from this node: store the envelope in `value`;
 *   an empty reply means stored, an error reply carries a KV_WIRE_ERROR number.
 * HyperDHT routes PLUGIN commands to plugins only on persistent (non-ephemeral) nodes, so a host
 * stores for others once its node is reachable and stable; clients need no registration.
 */

export const KV_COMMAND = { GET: 0, PUT: 1 } as const

/** The plugin a DHT node registers; `store` is what it keeps for others. */
export class KvPlugin extends Plugin {
  readonly store: KvNodeStore
  /** Requests answered, for status. */
  readonly served = { gets: 0, puts: 0, refused: 0 }

  constructor(init: KvNodeStoreInit = {}) {
    super(KV.plugin, KV.pluginVersion)
    this.store = new KvNodeStore(init)
  }

  override onrequest(req: PluginRequest, outer: IncomingRequest): void {
    if (!outer.target) return outer.error(KV_WIRE_ERROR.BAD_RECORD)
    if (req.command === KV_COMMAND.GET) {
      this.served.gets++
      outer.reply(this.store.get(outer.target))
      return
    }
    if (req.command !== KV_COMMAND.PUT || !req.value) return outer.error(KV_WIRE_ERROR.BAD_RECORD)
    if (!outer.token) return outer.error(KV_WIRE_ERROR.NO_TOKEN)
    const code = this.store.put(outer.target, req.value)
    if (code === 0) {
      this.served.puts++
      outer.reply(null)
    } else {
      this.served.refused++
      outer.error(code)
    }
  }

  override onpersistent(): void {
    // nothing to start: HyperDHT begins routing PLUGIN commands here from now on
  }

  override destroy(): void {
    this.store.clear()
  }
}

/**
 * Run the KV plugin on a DHT node, so it stores records for others (once persistent). Returns
 * the plugin already registered there, if any.
 */
export function registerKvPlugin(dht: DHT, init: KvNodeStoreInit = {}): KvPlugin {
  const had = dht.plugins.get(KV.plugin)
  if (had instanceof KvPlugin) return had
  const plugin = new KvPlugin(init)
  dht.register(KV.plugin, plugin)
  return plugin
}

/** The PLUGIN command payload of a KV request. */
export function kvRequest(command: number, value: Uint8Array | null = null): Buffer {
  return c.encode(pluginRequest, { plugin: KV.plugin, version: KV.pluginVersion, command, value })
}
