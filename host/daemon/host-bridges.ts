import type { KeyPair, SecretStream } from 'hyperdht'
import { BridgeManager } from '../bridge/index.ts'
import type { BridgeDial } from '../bridge/index.ts'
import { isHypernetError } from '../errors.ts'
import { formatId } from '../encoding/ids.ts'
import { dialServiceHash } from '../net/index.ts'
import { OnionStream, connectHidden, dialAnonymous } from '../onion/index.ts'
import type { Logger } from '../log/index.ts'
import type { HostParts } from './host-parts.ts'

/**
 * Wires a host's bridges to its parts: listen bridges dial through the host (verified peers for
 * a service hash, else the key itself; relays when punching fails), anonymous ones through the
 * host's onion client, exposed services listen on keys derived like any service's and go
 * through the host's listener and advertiser.
 */
export interface HostBridgesComponents extends Pick<HostParts, 'identity' | 'dht' | 'dialer' | 'listener' | 'advertiser' | 'hidden' | 'pathTracker'> {
  log: Logger
  /** `<home>/bridges.json` */
  bridgesFile: string
  /** The service keys of this host's apps (hex): never dialed by hash. */
  ownServiceKeys(): Set<string>
  /** The app of this host that serves a service hash, and its key; null when none does. */
  ownService(serviceHash: Buffer): { app: string; key: Buffer } | null
  serviceKeyPair(serviceHash: string): KeyPair
  /** service name -> app, for the names a bridge may not take. */
  appServices(): Map<string, string>
}

export function createHostBridges(host: HostBridgesComponents): BridgeManager {
  // per target: whether it turned out to be a service hash or a key, and the last good peer
  const known = new Map<string, { kind: 'hash' | 'key'; key: Buffer | null }>()
  // streams of hidden services, both ways: their path is a rendezvous, not one the tracker knows
  const hiddenStreams = new WeakSet<object>()
  const dial = async (target: Buffer): Promise<SecretStream> => {
    const id = formatId(target)
    const k = known.get(id)
    if (k?.key) {
      try {
        return await host.dialer.connect(k.key)
      } catch {
        known.delete(id)
      }
    }
    if (k?.kind !== 'key') {
      try {
        const { stream, peer } = await dialServiceHash(host.dht, target, { exclude: host.ownServiceKeys(), connect: (key, ms) => host.dialer.connect(key, ms) })
        known.set(id, { kind: 'hash', key: Buffer.from(peer.serviceKey!, 'hex') })
        return stream
      } catch (err) {
        if (!isHypernetError(err, 'NOT_FOUND')) throw err
      }
      // other hosts first (a plugin's dial never reaches its own host), but a bridge to a service
      // only this host runs is what its user asked for: its key, dialed like any other
      const own = host.ownService(target)
      if (own) {
        const stream = await host.dialer.connect(own.key)
        known.set(id, { kind: 'hash', key: own.key })
        return stream
      }
    }
    const stream = await host.dialer.connect(target)
    known.set(id, { kind: 'key', key: target })
    return stream
  }
  const manager: BridgeManager = new BridgeManager(
    {
      identity: host.identity,
      log: host.log,
      dial,
      dialAnonymous: anonymousDial(host),
      dialHidden: async (key) => {
        const { stream } = await connectHidden(host.dialer.onion(), key)
        hiddenStreams.add(stream)
        return stream
      },
      listenHidden: (hash, name) =>
        host.hidden.serve('bridge', name, hash, (s) => {
          hiddenStreams.add(s)
          manager.accept(hash, s)
        }),
      unlistenHidden: (hash) => host.hidden.stop(hash),
      listen: async (hash) => {
        const kp = host.serviceKeyPair(hash)
        await host.listener.listen(hash, kp)
        return kp.publicKey
      },
      unlisten: (hash) => host.listener.unlisten(hash),
      advertise: (bridges) => host.advertiser.setBridges(bridges),
      checkFits: (names) => host.advertiser.checkFits(names.map((name) => ({ name, key: Buffer.alloc(32) }))),
      appServices: () => host.appServices(),
      pathOf: (s) =>
        s instanceof OnionStream
          ? { path: 'onion', remote: null, relay: null, circuit: s.path.map((r) => r.relayKey) }
          : hiddenStreams.has(s)
            ? { path: 'hidden', remote: null, relay: null }
            : host.pathTracker.pathOf(s as SecretStream)
    },
    host.bridgesFile
  )
  return manager
}

/**
 * An anonymous listen bridge's dial: a fresh circuit per connection from the host's onion
 * client (`host.onion()`, shared with plugins and hidden services, closed by the host after
 * its bridges; it never routes through this host's own relay). A service hash is resolved once with a verified
 * lookup from this host's node, which the nodes near the hash see, and its key is reused, so
 * later connections leak nothing more; a hash nobody vends is taken as a service key. The key
 * is looked up again only when the destination itself proved unreachable.
 * The dial throws NO_RELAYS, CIRCUIT_FAILED, CIRCUIT_TAMPERED.
 */
function anonymousDial(host: Pick<HostBridgesComponents, 'dht' | 'dialer' | 'ownServiceKeys'>): BridgeDial {
  const resolved = new Map<string, Buffer>()
  return async (target) => {
    const id = formatId(target)
    const client = host.dialer.onion()
    const cached = resolved.get(id)
    if (cached) {
      try {
        return await client.connect(cached)
      } catch (err) {
        if (!destinationUnreachable(err)) throw err
        resolved.delete(id)
      }
    }
    let stream: OnionStream
    try {
      stream = await dialAnonymous(host.dht, client, { serviceHash: target, serviceKey: null }, host.ownServiceKeys())
    } catch (err) {
      if (!isHypernetError(err, 'NOT_FOUND')) throw err
      stream = await client.connect(target)
    }
    resolved.set(id, Buffer.from(stream.remotePublicKey))
    return stream
  }
}

/** The exit could not reach the service, and no relay is to blame (onion-client.ts gives up on such a key at once). */
function destinationUnreachable(err: unknown): boolean {
  return isHypernetError(err, 'CIRCUIT_FAILED') && err.details?.reason === 'unreachable' && err.details.relay === undefined
}
