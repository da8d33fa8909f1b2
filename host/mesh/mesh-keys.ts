import { createHash } from 'node:crypto'
import DHT from 'hyperdht'
import type { KeyPair } from 'hyperdht'
import sodium from 'sodium-native'
import { NAMESPACE } from '../constants.ts'
import type { MeshHelloWire } from '../messages.ts'

/**
 * The keys of a host's mesh swarm. The swarm listens on its own key pair, derived from the
 * host's secret (the host key itself is already listened on by the apps protocol, and two
 * servers on one key would take each other's connections):
 *   seed = SHA-256(NAMESPACE.MESH_KEY || host secret key)
 * A peer proves which host it is with a hello: its host key and the host's signature over
 * BLAKE2b-256(NAMESPACE.MESH_HELLO || mesh public key). The Noise handshake proved the mesh key;
 * the signature binds it to the host key whose descriptor is then checked.
 */

export function meshKeyPair(hostSecretKey: Uint8Array): KeyPair {
  return DHT.keyPair(createHash('sha256').update(NAMESPACE.MESH_KEY).update(hostSecretKey).digest())
}

/** The swarm topic of a service's mesh. */
export function meshTopic(serviceHash: Uint8Array): Buffer {
  return createHash('sha256').update(NAMESPACE.MESH_TOPIC).update(serviceHash).digest()
}

function helloDigest(meshPublicKey: Uint8Array): Buffer {
  const out = Buffer.alloc(32)
  sodium.crypto_generichash(out, Buffer.concat([NAMESPACE.MESH_HELLO, meshPublicKey]))
  return out
}

/** The hello this host sends on every mesh connection. */
export function signHello(identity: KeyPair, meshPublicKey: Uint8Array): MeshHelloWire {
  const signature = Buffer.alloc(64)
  sodium.crypto_sign_detached(signature, helloDigest(meshPublicKey), identity.secretKey)
  return { host: identity.publicKey, signature }
}

/** True when `hello` binds `meshPublicKey` (proven by Noise) to the host key it names. */
export function verifyHello(hello: MeshHelloWire, meshPublicKey: Uint8Array): boolean {
  return sodium.crypto_sign_verify_detached(Buffer.from(hello.signature), helloDigest(meshPublicKey), Buffer.from(hello.host))
}
