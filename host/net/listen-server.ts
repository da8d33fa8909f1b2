import type DHT from 'hyperdht'
import type { KeyPair, Server } from 'hyperdht'

/**
 * Start `server` listening on `keyPair`. Online, resolves once hyperdht has announced it. While
 * the node knows no other DHT node (offline, or alone on a LAN so far), resolves at once and
 * listens when the first node is added: a listen then would fail its first announce after
 * ~6 s (a host waited that long for each of its services before it said it was running: an
 * offline host with ten services took a minute), and hyperdht would not try again for ~5
 * minutes after the network came back. Until then nobody can route to the server anyway.
 * @param onError called with a failure of the deferred listen (a destroyed node, a key pair
 *   already listened on): online those reject the returned promise instead
 */
export async function listenServer(dht: DHT, server: Server, keyPair: KeyPair, onError: (err: Error) => void): Promise<void> {
  // before its bootstrap ends a node is not offline: hyperdht's listen waits for it
  if (!dht.bootstrapped || dht.toArray().length > 0) {
    await server.listen(keyPair)
    return
  }
  const later = (): void => {
    if (server.closed || dht.destroyed) return
    server.listen(keyPair).catch(onError)
  }
  dht.once('add-node', later)
  server.once('close', () => dht.off('add-node', later))
}
