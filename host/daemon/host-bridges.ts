import type { SecretStream } from 'hyperdht'
import { BridgeManager } from '../bridge/bridge-manager.ts'
import { isHypernetError } from '../errors.ts'
import { formatId } from '../encoding/ids.ts'
import { dialServiceHash } from '../net/dialer.ts'
import type { Host } from './host.ts'

/**
 * Wires a host's bridges to its parts: listen bridges dial through the host (verified peers for
 * a service hash, else the key itself; relays when punching fails), exposed services listen on
 * keys derived like any service's and go through the host's listener and advertiser.
 */
export function createHostBridges(host: Host): BridgeManager {
  // per target: whether it turned out to be a service hash or a key, and the last good peer
  const known = new Map<string, { kind: 'hash' | 'key'; key: Buffer | null }>()
  const dial = async (target: Buffer): Promise<SecretStream> => {
    const id = formatId(target)
    const k = known.get(id)
    if (k?.key) {
      try {
        return await host.connect(k.key)
      } catch {
        known.delete(id)
      }
    }
    if (k?.kind !== 'key') {
      try {
        const own = new Set([...host.routes.keys()].map((h) => formatId(host.serviceKeyPair(h).publicKey)))
        const { stream, peer } = await dialServiceHash(host.dht!, target, { exclude: own, connect: (key, ms) => host.connect(key, ms) })
        known.set(id, { kind: 'hash', key: Buffer.from(peer.serviceKey!, 'hex') })
        return stream
      } catch (err) {
        if (!isHypernetError(err, 'NOT_FOUND')) throw err
      }
    }
    const stream = await host.connect(target)
    known.set(id, { kind: 'key', key: target })
    return stream
  }
  return new BridgeManager(
    {
      identity: host.identity!,
      log: host.log,
      dial,
      listen: async (hash) => {
        const kp = host.serviceKeyPair(hash)
        await host.listener!.listen(hash, kp)
        return kp.publicKey
      },
      unlisten: (hash) => host.listener!.unlisten(hash),
      advertise: (bridges) => host.advertiser!.setBridges(bridges),
      checkFits: (names) => host.advertiser!.checkFits(names.map((name) => ({ name, key: Buffer.alloc(32) }))),
      appServices: () => new Map([...host.routes.values()].map((r) => [r.service, r.app])),
      pathOf: (s) => host.pathTracker!.pathOf(s)
    },
    host.paths.bridges
  )
}
