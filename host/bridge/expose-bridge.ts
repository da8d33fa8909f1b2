import { connect } from 'node:net'
import type { SecretStream } from 'hyperdht'
import type { Logger } from '../log/index.ts'
import { BridgeLedger } from './bridge-ledger.ts'
import type { ExposeBridgeConfig } from './bridge-store.ts'
import { parseHostPort } from './parse-address.ts'
import { spliceStreams } from './splice-streams.ts'

/**
 * Into Hypernet: a local TCP server published as a service of this host. The host's service
 * listener accepts each connection (so the firewall and connection limits apply as to any
 * plugin's service) and hands it here; each becomes one TCP connection to the server. When the
 * server cannot be reached, the peer's stream is destroyed (it sees an error, not a clean end).
 */
export class ExposeBridge {
  readonly ledger = new BridgeLedger()
  private closed = false

  constructor(
    readonly config: ExposeBridgeConfig,
    /** The service hash, hex. */
    readonly hash: string,
    /** The service key, hex. */
    readonly key: string,
    private readonly log: Logger
  ) {}

  /** Carry one accepted Hypernet connection to the TCP server. */
  accept(stream: SecretStream): void {
    if (this.closed) {
      stream.destroy()
      return
    }
    const { host, port } = parseHostPort(this.config.target, 'address')
    const tcp = connect({ host, port, allowHalfOpen: true })
    const early = (err: Error) => {
      this.ledger.failed(err.message)
      this.log.debug('exposed service unreachable', { bridge: this.config.name, target: this.config.target, error: err.message })
      stream.destroy(err)
    }
    tcp.once('error', early)
    const gone = () => tcp.destroy()
    stream.once('close', gone)
    tcp.once('connect', () => {
      tcp.removeListener('error', early)
      stream.removeListener('close', gone)
      if (this.closed || stream.destroyed) {
        tcp.destroy()
        if (!stream.destroyed) stream.destroy()
        return
      }
      const { counters, closed } = this.ledger.add(stream)
      void spliceStreams(tcp, stream, counters).then(closed)
    })
  }

  close(): void {
    this.closed = true
    this.ledger.destroyAll()
  }
}
