import type DHT from 'hyperdht'
import type { SecretStream } from 'hyperdht'
import { HypernetError } from '../errors.ts'
import { formatId } from '../encoding/ids.ts'
import { connectKey } from './dialer.ts'
import type { RelayDirectory } from './relay-directory.ts'

/**
 * Connect directly when hole punching can work, through a relay when it cannot, with nothing
 * for the user to do. The first attempt goes without a relay, unless this host's own NAT
 * randomizes ports (then punching rarely works, so a relay is named at once, as Hyperswarm
 * does; hyperdht still punches alongside and moves a relayed connection to the direct path when
 * the punch succeeds). When the first attempt fails because punching is impossible (measured:
 * two randomizing NATs fail with HOLEPUNCH_ABORTED in ~20 ms), it is retried once through a
 * relay found in the DHT, and once more through another if that relay fails.
 */

/** hyperdht error codes that mean "no hole can be punched between these two": worth a relay. */
const PUNCH_FAILURES = new Set([
  'HOLEPUNCH_ABORTED',
  'HOLEPUNCH_DOUBLE_RANDOMIZED_NATS',
  'HOLEPUNCH_PROBE_TIMEOUT',
  'CANNOT_HOLEPUNCH',
  'REMOTE_NOT_HOLEPUNCHABLE',
  'REMOTE_NOT_HOLEPUNCHING'
])

/** hyperdht's and blind-relay's codes for a relay that would not or could not pair: try another. */
const RELAY_FAILURES = new Set(['RELAY_ABORTED', 'CHANNEL_CLOSED', 'CHANNEL_DESTROYED', 'PAIRING_CANCELLED'])

/** Whether a failed connect (a CONNECTION_FAILED from connectKey) could succeed through a (another) relay. */
export function isPunchFailure(err: unknown): boolean {
  const cause = (err as { cause?: { code?: string } })?.cause
  return typeof cause?.code === 'string' && (PUNCH_FAILURES.has(cause.code) || RELAY_FAILURES.has(cause.code))
}

export interface RelayConnectOptions {
  relays: RelayDirectory | null
  timeoutMs?: number
  /** Give up: the stream being opened is destroyed and the call rejects. */
  signal?: AbortSignal
}

/**
 * Open an encrypted stream to a service key, through a relay if punching fails.
 * @throws CONNECTION_FAILED (the message says when a relay was needed and none was found)
 */
export async function connectWithRelay(dht: DHT, serviceKey: Buffer, opts: RelayConnectOptions): Promise<SecretStream> {
  const timeoutMs = opts.timeoutMs ?? 15_000
  const deadline = Date.now() + timeoutMs
  const left = () => Math.max(1000, deadline - Date.now())
  const relays = opts.relays
  let relay = relays && dht.randomized ? await relays.pick() : null
  let lastErr: unknown
  for (let attempt = 0; attempt < 3; attempt++) {
    try {
      return await connectKey(dht, serviceKey, left(), { relayThrough: relay }, opts.signal)
    } catch (err) {
      lastErr = err
      if (!relays || !isPunchFailure(err) || Date.now() >= deadline || opts.signal?.aborted) throw err
      if (relay) relays.failed(relay)
      relay = await relays.pick()
      if (!relay) {
        const known = relays.list().length
        const why = known
          ? `every relay known (${known}) failed to carry it or refused it`
          : 'no relay is known (a host started with --relay on a reachable address carries such connections)'
        throw HypernetError.CONNECTION_FAILED(
          `could not connect to service key ${formatId(serviceKey)}: hole punching is impossible between these two networks and ${why}`,
          (err as Error).cause ?? err
        )
      }
    }
  }
  throw lastErr
}
