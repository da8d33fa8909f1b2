// blind-relay ships no types; only what this project uses is declared.
declare module 'blind-relay' {
  import type { EventEmitter } from 'node:events'

  export interface RelayStats {
    sessions: { accepted: number; opened: number; closed: number; active: number }
    pairings: { requested: number; matched: number; cancelled: number; pending: number; active: number }
    streams: { opened: number; closed: number; errors: number; active: number }
  }

  /** A UDX stream the relay forwards natively (udx-native's relayTo). */
  export interface RelayStream extends EventEmitter {
    destroy(err?: Error): void
    destroyed: boolean
  }

  export interface BlindRelaySession extends EventEmitter {
    on(event: 'pair', fn: (isInitiator: boolean, token: Buffer, stream: RelayStream, remoteId: number) => void): this
    on(event: string, fn: (...args: any[]) => void): this
    destroy(err?: Error): void
  }

  export class Server extends EventEmitter {
    constructor(opts: { createStream: (opts: Record<string, unknown>) => unknown })
    stats: RelayStats
    accept(stream: unknown, opts?: { id?: Buffer }): BlindRelaySession
    close(): Promise<void>
  }
}
