import { Duplex } from 'streamx'
import { HypernetError } from '../errors.ts'

/**
 * One (peer, service) pair of a mesh as a stream: a protomux channel on the one connection the
 * two hosts share, shaped like the streams the plugin runtime takes (a streamx Duplex with the
 * peer's key). `remotePublicKey` is the peer's host key, proven by its mesh hello.
 *
 * Closing: a protomux channel has no half-close, so ending our side closes the channel and the
 * peer sees the end (the ABI has no half-close either). When the shared connection fails
 * instead, the stream is destroyed with an error.
 *
 * Backpressure: a write completes when the connection took it below its high-water mark, else
 * at the channel's drain. Reading: a peer's messages are pushed as they come; when this stream's
 * buffer is full (the plugin paused it), the whole shared connection is paused until it is read
 * (`pauseConn`): one paused service holds back the pair's other services. Mesh traffic is meant
 * to be messages, not bulk transfers.
 */

export interface MeshChannelLike {
  send(data: Uint8Array): boolean
  close(): void
}

export class MeshStream extends Duplex {
  readonly remotePublicKey: Buffer
  private blocked: ((err: Error | null) => void) | null = null
  private channelClosed = false

  constructor(
    remoteHostKey: Buffer,
    private readonly channel: MeshChannelLike,
    private readonly pauseConn: (paused: boolean) => void
  ) {
    super()
    this.remotePublicKey = remoteHostKey
  }

  /** A message from the peer. */
  receive(data: Uint8Array): void {
    if (!this.push(data)) this.pauseConn(true)
  }

  /** The channel can take more. */
  drained(): void {
    const cb = this.blocked
    this.blocked = null
    cb?.(null)
  }

  /** The channel is gone: the peer ended it (or we did), or the connection failed (`err`). */
  channelGone(err: Error | null): void {
    this.channelClosed = true
    this.drained()
    if (err) this.destroy(err)
    else this.push(null)
  }

  override _write(data: Uint8Array, cb: (err: Error | null) => void): void {
    if (this.channelClosed) return cb(HypernetError.CONNECTION_FAILED('the mesh peer is gone'))
    if (this.channel.send(data)) cb(null)
    else this.blocked = cb
  }

  override _read(cb: (err: Error | null) => void): void {
    this.pauseConn(false)
    cb(null)
  }

  override _final(cb: (err: Error | null) => void): void {
    this.channel.close()
    cb(null)
  }

  override _destroy(cb: (err: Error | null) => void): void {
    this.pauseConn(false)
    this.drained()
    if (!this.channelClosed) this.channel.close()
    cb(null)
  }
}
