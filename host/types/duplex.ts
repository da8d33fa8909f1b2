/**
 * The stream subset the plugin runtime and the onion links use. Node's `stream.Duplex` and streamx's `Duplex` (what
 * HyperDHT's NoiseSecretStream is) both fit. `remotePublicKey` is the peer's key proven by the
 * Noise handshake; a stream without one is reported to the plugin as 32 zero bytes.
 */
export interface DuplexLike {
  write(data: Uint8Array): boolean
  end(data?: unknown): unknown
  destroy(err?: Error | null): unknown
  pause(): unknown
  resume(): unknown
  /** Events used: data, end, drain, error, close. */
  on(event: any, fn: (...args: any[]) => void): unknown
  removeListener(event: any, fn: (...args: any[]) => void): unknown
  readonly destroyed?: boolean
  remotePublicKey?: Uint8Array | null
}
