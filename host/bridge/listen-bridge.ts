import { createServer } from 'node:net'
import type { Server, Socket } from 'node:net'
import { HypernetError, isHypernetError } from '../errors.ts'
import type { Logger } from '../log/index.ts'
import { BridgeLedger } from './bridge-ledger.ts'
import type { BridgeStream } from './bridge-ledger.ts'
import type { ListenBridgeConfig } from './bridge-store.ts'
import { formatHostPort } from './parse-address.ts'
import { spliceStreams } from './splice-streams.ts'
import { Lifecycle } from '../util/lifecycle.ts'

/**
 * Out of Hypernet: a local TCP port whose every connection becomes a connection to a Hypernet
 * service, so any TCP program (curl, a browser, ssh) can use it. The TCP socket is paused
 * until the service answers (the kernel holds what the program sends meanwhile); when no peer
 * answers, the program gets a TCP reset. An anonymous bridge is the same with a dial that goes
 * through a fresh onion circuit per connection; when no circuit can be built (NO_RELAYS,
 * CIRCUIT_FAILED), the program gets a reset too and the ledger keeps the code and reason.
 */

/**
 * Opens a stream to the bridge's target (a service hash picks a verified peer): a HyperDHT
 * stream, or an onion stream for an anonymous bridge.
 */
export type BridgeDial = (target: Buffer) => Promise<BridgeStream>

export class ListenBridge {
  readonly ledger = new BridgeLedger()
  private server: Server | null = null
  private readonly sockets = new Set<Socket>()
  private readonly life = new Lifecycle()
  private get closed(): boolean {
    return this.life.closed
  }

  constructor(
    readonly config: ListenBridgeConfig,
    private readonly dial: BridgeDial,
    private readonly log: Logger
  ) {}

  /**
   * Open the TCP port.
   * @throws ADDRESS_IN_USE when the port is taken; USAGE when the host is not an address of this machine
   */
  ready(): Promise<void> {
    return this.life.ready(() => this.open())
  }

  private async open(): Promise<void> {
    if (this.server || this.closed) return
    const server = createServer({ allowHalfOpen: true, pauseOnConnect: true }, (s) => this.onSocket(s))
    const where = formatHostPort(this.config)
    await new Promise<void>((resolve, reject) => {
      server.once('error', (err: NodeJS.ErrnoException) => {
        if (err.code === 'EADDRINUSE') reject(HypernetError.ADDRESS_IN_USE('--port', where, undefined, err))
        else if (err.code === 'EADDRNOTAVAIL') reject(HypernetError.USAGE(`--host: expected an address of this machine, got ${this.config.host}`))
        else if (err.code === 'EACCES') reject(HypernetError.USAGE(`--port: expected a port this user may open, ${this.config.port} needs privileges`))
        else reject(HypernetError.INTERNAL(`${where}: could not listen (${err.message})`, err))
      })
      server.listen(this.config.port, this.config.host, () => resolve())
    })
    server.on('error', (err) => this.log.warn('bridge listener error', { bridge: where, error: err.message }))
    this.server = server
  }

  /** The local address, as `host:port`. */
  address(): string {
    return formatHostPort(this.config)
  }

  close(): Promise<void> {
    return this.life.close(() => this.shutdown())
  }

  private async shutdown(): Promise<void> {
    const server = this.server
    this.server = null
    for (const s of this.sockets) s.destroy()
    this.ledger.destroyAll()
    if (server) await new Promise<void>((resolve) => server.close(() => resolve()))
  }

  private async onSocket(socket: Socket): Promise<void> {
    this.sockets.add(socket)
    socket.once('close', () => this.sockets.delete(socket))
    socket.on('error', () => {})
    let stream: BridgeStream
    try {
      stream = await this.dial(Buffer.from(this.config.target, 'hex'))
    } catch (err) {
      const why = failure(err)
      this.ledger.failed(why)
      this.log.debug('bridge connection failed', {
        bridge: this.address(),
        anonymous: this.config.anonymous,
        error: why,
        ...(isHypernetError(err) ? { code: err.code } : {})
      })
      if (!socket.destroyed) socket.resetAndDestroy()
      return
    }
    if (this.closed || socket.destroyed) {
      stream.destroy()
      return
    }
    const { counters, closed } = this.ledger.add(stream)
    socket.resume()
    await spliceStreams(socket, stream, counters)
    closed()
  }
}

/** What went wrong, with a circuit failure's reason (`hop-lost`, `timeout`, ...) when its message does not say it. */
function failure(err: unknown): string {
  const msg = (err as Error).message
  const reason = isHypernetError(err) ? err.details?.reason : undefined
  return typeof reason === 'string' && !msg.endsWith(reason) ? `${msg} (reason ${reason})` : msg
}
