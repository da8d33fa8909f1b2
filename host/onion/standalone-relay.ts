import DHT from 'hyperdht'
import type { KeyPair, NodeAddress } from 'hyperdht'
import { Advertiser } from '../dns/index.ts'
import { silentLogger } from '../log/index.ts'
import type { Logger } from '../log/index.ts'
import { onionRelayEntry, onionRelayKeyPair } from './onion-directory.ts'
import { OnionRelay } from './onion-relay.ts'
import type { OnionRelayInit } from './onion-relay.ts'

/**
 * An onion relay on its own: a DHT node, a fresh host identity, the relay, and an advertiser
 * that lists it in a signed descriptor under the relay service hash, exactly as a host started
 * with `--onion-relay` and no apps would. An embedded local network (`start --local`) runs a
 * few, so anonymous connections and hidden services work on a laptop with no other host; the
 * benchmark uses them too. Never for a real network: its identity is thrown away on close.
 */
export class StandaloneRelay {
  readonly identity: KeyPair = DHT.keyPair()
  private dht: DHT | null = null
  private relay: OnionRelay | null = null
  private advertiser: Advertiser | null = null
  private opening: Promise<void> | null = null
  private closing: Promise<void> | null = null

  constructor(
    private readonly bootstrap: NodeAddress[],
    private readonly init: OnionRelayInit & { logger?: Logger } = {}
  ) {}

  /** The relay's key (what circuits dial). */
  get relayKey(): Buffer {
    return this.relay!.publicKey
  }

  ready(): Promise<void> {
    this.opening ??= (async () => {
      const log = this.init.logger ?? silentLogger()
      this.dht = new DHT({ bootstrap: this.bootstrap, host: '127.0.0.1' })
      await this.dht.ready()
      this.relay = new OnionRelay(this.dht, onionRelayKeyPair(this.identity.secretKey), { ...this.init, logger: log })
      await this.relay.ready()
      this.advertiser = new Advertiser(this.dht, this.identity, log)
      await this.advertiser.ready()
      await this.advertiser.setApps([onionRelayEntry(this.identity.publicKey, this.relay.publicKey)])
    })()
    return this.opening
  }

  close(): Promise<void> {
    this.closing ??= (async () => {
      await this.opening?.catch(() => {})
      await this.advertiser?.close()
      await this.relay?.close()
      await this.dht?.destroy()
    })()
    return this.closing
  }
}
