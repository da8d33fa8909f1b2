// The parts of hyperdht's lib/ the DHT store builds on (hyperdht ships no types). Reusing them,
// rather than copies, keeps the KV store's records byte-compatible with HyperDHT's own.

declare module 'hyperdht/lib/plugin.js' {
  import type DHT from 'hyperdht'
  import type { RpcQuery, RpcReply, NodeAddress } from 'hyperdht'

  /** A decoded PLUGIN command: which plugin, its version, its own command number and payload. */
  export interface PluginRequest {
    plugin: string
    version: number
    command: number
    value: Buffer | null
  }

  /** The dht-rpc request a plugin answers: exactly one of reply() or error(). */
  export interface IncomingRequest {
    target: Buffer | null
    token: Buffer | null
    value: Buffer | null
    from: NodeAddress
    reply(value: Buffer | null, opts?: { token?: boolean; closerNodes?: boolean }): void
    error(code: number, opts?: { token?: boolean; closerNodes?: boolean }): void
  }

  export default class Plugin {
    constructor(name: string, version: number)
    name: string
    version: number
    dht: DHT | null
    onregister(dht: DHT): void
    onrequest(req: PluginRequest, outer: IncomingRequest): void
    onpersistent(): void
    destroy(): void
    request(
      q: { token?: Buffer | null; command: number; target?: Buffer | null; value?: Buffer | null },
      to: NodeAddress,
      opts?: { retry?: boolean }
    ): Promise<RpcReply>
    query(q: { command: number; target?: Buffer | null; value?: Buffer | null }, opts?: unknown): RpcQuery
  }
}

declare module 'hyperdht/lib/persistent.js' {
  import type { KeyPair } from 'hyperdht'
  /** Only the static signing helpers are used. */
  export default class Persistent {
    static signMutable(seq: number, value: Uint8Array, keyPair: KeyPair): Buffer
    static verifyMutable(signature: Uint8Array, seq: number, value: Uint8Array, publicKey: Uint8Array): boolean
  }
}

declare module 'hyperdht/lib/messages.js' {
  import type { Encoding } from 'compact-encoding'
  export const pluginRequest: Encoding<{ plugin: string; version: number; command: number; value: Uint8Array | null }>
  export const mutablePutRequest: Encoding<{ publicKey: Uint8Array; seq: number; value: Uint8Array; signature: Uint8Array }>
  export const mutableGetResponse: Encoding<{ seq: number; value: Uint8Array; signature: Uint8Array }>
}

declare module 'hyperdht/lib/constants.js' {
  export const COMMANDS: {
    MUTABLE_PUT: number
    MUTABLE_GET: number
    IMMUTABLE_PUT: number
    IMMUTABLE_GET: number
    PLUGIN: number
  }
  export const ERROR: { SEQ_REUSED: number; SEQ_TOO_LOW: number }
}
