// protomux ships no types; only what host/apps and host/mesh use.
declare module 'protomux' {
  import type { Encoding } from 'compact-encoding'

  export interface ProtomuxMessage<T> {
    send(value: T): boolean
  }

  export interface MessageOptions<T> {
    encoding: Encoding<T>
    onmessage?: (value: T) => void | Promise<void>
  }

  export interface Channel {
    readonly opened: boolean
    readonly closed: boolean
    open(handshake?: unknown): void
    close(): void
    addMessage<T>(opts: MessageOptions<T>): ProtomuxMessage<T>
  }

  export interface ChannelOptions {
    protocol: string
    id?: Buffer | null
    unique?: boolean
    onopen?: () => void | Promise<void>
    onclose?: () => void | Promise<void>
    ondrain?: () => void
  }

  export default class Protomux {
    constructor(stream: unknown, opts?: Record<string, unknown>)
    static from(stream: unknown, opts?: Record<string, unknown>): Protomux
    readonly stream: unknown
    drained: boolean
    createChannel(opts: ChannelOptions): Channel | null
    /** Call `notify` when the remote opens a channel of this protocol and id that we have not opened. */
    pair(opts: { protocol: string; id?: Buffer | null }, notify: (id: Buffer | null) => void): void
    unpair(opts: { protocol: string; id?: Buffer | null }): void
  }
}
