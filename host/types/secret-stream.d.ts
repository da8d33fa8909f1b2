// @hyperswarm/secret-stream ships no types; only what hidden services use is declared.
declare module '@hyperswarm/secret-stream' {
  import type { KeyPair, SecretStream } from 'hyperdht'

  interface NoiseSecretStreamOptions {
    keyPair?: KeyPair
    /** The responder's key the initiator expects (IK pattern): the handshake fails otherwise. */
    remotePublicKey?: Buffer
    pattern?: 'XX' | 'IK'
    keepAlive?: number
  }

  /** A Noise handshake, then an encrypted Duplex, over any raw byte stream. */
  const NoiseSecretStream: {
    new (isInitiator: boolean, rawStream: unknown, opts?: NoiseSecretStreamOptions): SecretStream
    keyPair(seed?: Buffer): KeyPair
  }
  export default NoiseSecretStream
}
