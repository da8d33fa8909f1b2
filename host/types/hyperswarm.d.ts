// hyperswarm ships no types; only what host/mesh uses is declared.
declare module 'hyperswarm' {
  import type { EventEmitter } from 'node:events'
  import type DHT from 'hyperdht'
  import type { KeyPair, SecretStream } from 'hyperdht'

  export interface PeerDiscovery {
    flushed(): Promise<void>
    refresh(opts?: { client?: boolean; server?: boolean }): Promise<void>
    destroy(): Promise<void>
  }

  export interface SwarmInit {
    keyPair?: KeyPair
    dht?: DHT
    maxPeers?: number
    firewall?: (remotePublicKey: Buffer, payload: unknown) => boolean
  }

  export default class Hyperswarm extends EventEmitter {
    constructor(opts?: SwarmInit)
    readonly keyPair: KeyPair
    readonly dht: DHT
    readonly connections: Set<SecretStream>
    destroyed: boolean
    join(topic: Buffer, opts?: { server?: boolean; client?: boolean }): PeerDiscovery
    leave(topic: Buffer): Promise<void>
    flush(): Promise<boolean>
    destroy(opts?: { force?: boolean }): Promise<void>
    on(event: 'connection', fn: (conn: SecretStream, info: unknown) => void): this
    on(event: string, fn: (...args: any[]) => void): this
  }
}
