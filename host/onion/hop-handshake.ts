import sodium from 'sodium-native'
import { NAMESPACE } from '../constants.ts'
import { HypernetError } from '../errors.ts'

/**
 * The per-hop key agreement of a circuit, in the shape of Tor's ntor: the client sends an
 * ephemeral X25519 key X; the relay answers with its own ephemeral Y and a proof. With B the
 * relay's static X25519 key (its ed25519 relay key, converted):
 *
 *   s1 = X25519(x, B) = X25519(b, X)      only the holder of the relay key computes it
 *   s2 = X25519(x, Y) = X25519(y, X)      forward secrecy: gone once both forget x and y
 *   m  = BLAKE2b-256(key = NAMESPACE.ONION_HANDSHAKE, s1 || s2 || relay ed25519 key || X || Y)
 *   forward  = BLAKE2b-256(key = m, "forward")     client -> relay layer
 *   backward = BLAKE2b-256(key = m, "backward")    relay -> client layer
 *   auth     = BLAKE2b-256(key = m, "auth")        sent by the relay, checked by the client
 *   binding  = BLAKE2b-256(key = m, "binding")     names this hop of this circuit; a hidden
 *                                                  service signs it to make the relay its
 *                                                  introduction point, so the signature cannot
 *                                                  be replayed on another circuit
 *
 * The client trusts a hop only after checking `auth`: a relay two hops away is reached through
 * other relays, and this proof is all that says the right key answered.
 */

export interface HopKeys {
  forward: Buffer
  backward: Buffer
  /** Known to the client and this relay only: what ESTABLISH_INTRO signs. */
  binding: Buffer
}

/** The client's half, waiting for the relay's answer. */
export interface ClientHandshake {
  /** X: send it in CREATE or EXTEND. */
  ephemeral: Buffer
  /**
   * Check the relay's answer and derive the hop's keys.
   * @throws CIRCUIT_FAILED (reason `handshake`) when the proof does not verify
   */
  finish(answer: { ephemeral: Uint8Array; auth: Uint8Array }): HopKeys
}

/** Start a handshake with the relay whose ed25519 relay key is `relayKey`. */
export function clientHandshake(relayKey: Uint8Array): ClientHandshake {
  const x = Buffer.alloc(32)
  sodium.randombytes_buf(x)
  const X = Buffer.alloc(32)
  sodium.crypto_scalarmult_base(X, x)
  const B = edToCurvePublic(relayKey)
  return {
    ephemeral: X,
    finish(answer) {
      try {
        const s1 = dh(x, B)
        const s2 = dh(x, answer.ephemeral)
        const { keys, auth } = derive(s1, s2, relayKey, X, answer.ephemeral)
        if (answer.auth.byteLength !== 32 || !sodium.sodium_memcmp(auth, answer.auth)) throw new Error('the relay did not prove it holds its key')
        return keys
      } catch (err) {
        throw HypernetError.CIRCUIT_FAILED(
          `handshake with relay ${Buffer.from(relayKey).toString('hex').slice(0, 16)}… failed: ${(err as Error).message}`,
          'handshake',
          err
        )
      } finally {
        sodium.sodium_memzero(x)
      }
    }
  }
}

/**
 * The relay's half: answer a client's X with the relay's ed25519 key pair.
 * @throws CIRCUIT_FAILED (reason `handshake`) when X is a low-order point
 */
export function relayHandshake(
  relayKeyPair: { publicKey: Uint8Array; secretKey: Uint8Array },
  clientEphemeral: Uint8Array
): { ephemeral: Buffer; auth: Buffer; keys: HopKeys } {
  const b = Buffer.alloc(32)
  const y = Buffer.alloc(32)
  sodium.crypto_sign_ed25519_sk_to_curve25519(b, relayKeyPair.secretKey)
  sodium.randombytes_buf(y)
  const Y = Buffer.alloc(32)
  sodium.crypto_scalarmult_base(Y, y)
  try {
    const s1 = dh(b, clientEphemeral)
    const s2 = dh(y, clientEphemeral)
    const { keys, auth } = derive(s1, s2, relayKeyPair.publicKey, clientEphemeral, Y)
    return { ephemeral: Y, auth, keys }
  } catch (err) {
    throw HypernetError.CIRCUIT_FAILED(`handshake refused: ${(err as Error).message}`, 'handshake', err)
  } finally {
    sodium.sodium_memzero(b)
    sodium.sodium_memzero(y)
  }
}

function dh(secret: Uint8Array, pub: Uint8Array): Buffer {
  if (pub.byteLength !== 32) throw new Error('expected a 32-byte X25519 key')
  const out = Buffer.alloc(32)
  try {
    sodium.crypto_scalarmult(out, secret, pub)
  } catch {
    throw new Error('the peer sent a low-order X25519 key')
  }
  return out
}

function edToCurvePublic(edKey: Uint8Array): Buffer {
  const out = Buffer.alloc(32)
  try {
    sodium.crypto_sign_ed25519_pk_to_curve25519(out, edKey)
  } catch (err) {
    throw HypernetError.CIRCUIT_FAILED(`relay key ${Buffer.from(edKey).toString('hex').slice(0, 16)}… is not a usable ed25519 key`, 'handshake', err)
  }
  return out
}

function derive(s1: Buffer, s2: Buffer, relayKey: Uint8Array, X: Uint8Array, Y: Uint8Array): { keys: HopKeys; auth: Buffer } {
  const m = Buffer.alloc(32)
  sodium.crypto_generichash(m, Buffer.concat([s1, s2, relayKey, X, Y]), NAMESPACE.ONION_HANDSHAKE)
  const sub = (label: string) => {
    const out = Buffer.alloc(32)
    sodium.crypto_generichash(out, Buffer.from(label), m)
    return out
  }
  const keys = { forward: sub('forward'), backward: sub('backward'), binding: sub('binding') }
  const auth = sub('auth')
  sodium.sodium_memzero(m)
  sodium.sodium_memzero(s1)
  sodium.sodium_memzero(s2)
  return { keys, auth }
}
