// hyperdht ships no types; only what this project uses is declared.
declare module 'hyperdht' {
  import type { EventEmitter } from 'node:events'
  import type { Duplex } from 'node:stream'

  export interface KeyPair {
    publicKey: Buffer
    secretKey: Buffer
  }

  export interface NodeAddress {
    host: string
    port: number
    id?: Buffer
  }

  export interface LookupReply {
    from: NodeAddress
    to: NodeAddress
    peers: Array<{ publicKey: Buffer; relayAddresses: NodeAddress[] }>
  }

  /** A NoiseSecretStream (streamx Duplex) with the peer's proven key. */
  export interface SecretStream extends Duplex {
    remotePublicKey: Buffer
    publicKey: Buffer
    handshakeHash: Buffer
    rawStream?: { remoteHost?: string; remotePort?: number; remoteFamily?: number; socket?: unknown } | null
    opened: Promise<boolean>
    /** Bytes on the wire (encrypted, with framing) each way since the stream opened. */
    rawBytesRead: number
    rawBytesWritten: number
    setKeepAlive(ms: number): void
  }

  export interface Server extends EventEmitter {
    listen(keyPair: KeyPair): Promise<void>
    close(): Promise<void>
    refresh(): void
    address(): { host: string | null; port: number; publicKey: Buffer } | null
    publicKey: Buffer | null
    closed: boolean
    listening: boolean
    on(event: 'connection', fn: (socket: SecretStream) => void): this
    on(event: string, fn: (...args: any[]) => void): this
  }

  export interface ServerOptions {
    /** Return true to refuse; `clientAddress` is where the handshake came from. */
    firewall?: (remotePublicKey: Buffer, payload: unknown, clientAddress?: { host: string; port: number }) => boolean
    holepunch?: boolean | ((...args: any[]) => boolean)
    shareLocalAddress?: boolean
    /** A blind relay's key (or a function returning one, or null) to offer to connecting clients. */
    relayThrough?: Buffer | null | (() => Buffer | null)
  }

  export interface ConnectOptions {
    keyPair?: KeyPair
    nodes?: NodeAddress[]
    /** A blind relay's key (or a function returning one, or null) to pair through when punching fails. */
    relayThrough?: Buffer | null | (() => Buffer | null)
    holepunch?: (...args: any[]) => boolean
    localConnection?: boolean
  }

  export interface QueryStream extends AsyncIterable<LookupReply> {
    finished(): Promise<void>
    destroy(err?: Error): void
    on(event: string, fn: (...args: any[]) => void): this
    once(event: string, fn: (...args: any[]) => void): this
    closestNodes: NodeAddress[]
  }

  /** A raw dht-rpc reply: what a query yields and a request resolves to (`error` 0 is success). */
  export interface RpcReply {
    from: NodeAddress & { id: Buffer | null }
    to: NodeAddress
    token: Buffer | null
    value: Buffer | null
    error: number
    closerNodes: NodeAddress[] | null
  }

  /** A raw dht-rpc query; `commit` runs once per closest reply (closest first) after the walk. */
  export interface RpcQuery extends AsyncIterable<RpcReply> {
    finished(): Promise<void>
    destroy(err?: Error): void
    closestReplies: RpcReply[]
  }

  export interface RpcQueryOptions {
    commit?: (reply: RpcReply, dht: DHT, query: RpcQuery) => Promise<unknown>
    retries?: number
    /** Requests in flight at once (dht-rpc's default: 10). */
    concurrency?: number
  }

  export interface DHTOptions {
    bootstrap?: Array<string | NodeAddress>
    keyPair?: KeyPair
    port?: number
    host?: string
    ephemeral?: boolean
    firewalled?: boolean
    connectionKeepAlive?: number | false
  }

  export default class DHT extends EventEmitter {
    constructor(opts?: DHTOptions)
    static keyPair(seed?: Buffer): KeyPair
    static bootstrapper(port: number, host: string, opts?: DHTOptions): DHT
    defaultKeyPair: KeyPair
    bootstrapped: boolean
    firewalled: boolean
    destroyed: boolean
    ephemeral: boolean
    port: number
    host: string | null
    randomized: boolean
    bootstrapNodes: NodeAddress[]
    stats: any
    ready(): Promise<void>
    /** Bind the UDP sockets (dht-rpc): a taken port falls back to the next five, then to any. */
    bind(): Promise<void>
    /** The server socket's local address (dht-rpc); null before bind. */
    localAddress(): { host: string; port: number } | null
    fullyBootstrapped(): Promise<void>
    address(): { host: string; port: number }
    remoteAddress(): { host: string | null; port: number } | null
    toArray(): NodeAddress[]
    /** Put a node in the routing table by address (dht-rpc). */
    addNode(node: NodeAddress): void
    destroy(opts?: { force?: boolean }): Promise<void>
    createServer(opts?: ServerOptions, onconnection?: (socket: SecretStream) => void): Server
    connect(publicKey: Buffer | string, opts?: ConnectOptions): SecretStream
    createRawStream(opts?: Record<string, unknown>): unknown
    udx: { bytesReceived: number; bytesTransmitted: number }
    lookup(topic: Buffer, opts?: unknown): QueryStream
    announce(topic: Buffer, keyPair: KeyPair, relayAddresses?: NodeAddress[], opts?: unknown): QueryStream
    unannounce(topic: Buffer, keyPair: KeyPair, opts?: unknown): Promise<void>
    mutablePut(
      keyPair: KeyPair,
      value: Buffer,
      opts?: { seq?: number; signMutable?: (seq: number, value: Buffer, keyPair: KeyPair) => Buffer | Promise<Buffer> }
    ): Promise<{ publicKey: Buffer; seq: number; signature: Buffer }>
    mutableGet(
      publicKey: Buffer,
      opts?: { seq?: number; latest?: boolean }
    ): Promise<{ value: Buffer; seq: number; signature: Buffer; from: NodeAddress } | null>
    immutablePut(value: Buffer, opts?: unknown): Promise<{ hash: Buffer }>
    immutableGet(hash: Buffer, opts?: unknown): Promise<{ value: Buffer; from: NodeAddress } | null>
    /** Custom DHT commands (hyperdht 6.31+): see hyperdht/lib/plugin.js. */
    plugins: Map<string, unknown>
    register(name: string, plugin: unknown): void
    query(q: { target: Buffer; command: number; value?: Buffer | null }, opts?: RpcQueryOptions): RpcQuery
    request(
      q: { token?: Buffer | null; command: number; target?: Buffer | null; value?: Buffer | null },
      to: NodeAddress,
      opts?: { retry?: boolean }
    ): Promise<RpcReply>
  }
}

declare module 'hyperdht/testnet.js' {
  import type DHT from 'hyperdht'
  export interface Testnet {
    nodes: DHT[]
    bootstrap: Array<{ host: string; port: number }>
    createNode(opts?: Record<string, unknown>): DHT
    destroy(): Promise<void>
  }
  export default function createTestnet(size?: number, opts?: Record<string, unknown> | ((fn: () => unknown) => void)): Promise<Testnet>
}
