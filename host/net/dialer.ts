import type DHT from 'hyperdht'
import type { ConnectOptions, SecretStream } from 'hyperdht'
import { HypernetError } from '../errors.ts'
import { formatId } from '../encoding/ids.ts'
import { lookupVerified } from '../dns/index.ts'
import type { LookupPeer } from '../dns/index.ts'
import { abortedError } from './dial-cache.ts'
import { endorsementCheck } from '../dns/index.ts'

/**
 * Outbound connections to a service: straight to a service key, or to a verified peer found
 * by looking up a service hash (never to a peer whose descriptor does not vouch for it).
 */

export interface DialOptions {
  /** Service keys (hex) never to dial, e.g. this host's own. */
  exclude?: ReadonlySet<string>
  timeoutMs?: number
  /** How to open a stream to a peer's service key (default: connectKey; the host adds relays). */
  connect?: (serviceKey: Buffer, timeoutMs: number, signal?: AbortSignal) => Promise<SecretStream>
  /** Verified peers found already (the host's DialCache): no lookup of its own. */
  peers?: LookupPeer[]
  /** Give up: the lookup stops, the stream being opened is destroyed, and the call rejects. */
  signal?: AbortSignal
  /** Only hosts the app's publisher endorses (endorsement.ts), not merely hosts that vouch for themselves. */
  endorsed?: boolean
  /** Only these host keys (hex): the trusted hosts. */
  hosts?: ReadonlySet<string>
}

/**
 * Open an encrypted stream to a service key.
 * @throws CONNECTION_FAILED when it does not open (details.aborted when `signal` aborted it)
 */
export async function connectKey(dht: DHT, serviceKey: Buffer, timeoutMs = 15_000, opts: ConnectOptions = {}, signal?: AbortSignal): Promise<SecretStream> {
  if (signal?.aborted) throw abortedError()
  // always with an options object: PathTracker tells hyperdht's own relay connections by their having none
  const stream = dht.connect(serviceKey, opts)
  // errors after open belong to whoever uses the stream; before open they reject below
  const onEarlyError = () => {}
  stream.on('error', onEarlyError)
  const timer = setTimeout(() => stream.destroy(HypernetError.TIMEOUT(`no answer from ${formatId(serviceKey)} within ${timeoutMs} ms`)), timeoutMs)
  const onAbort = () => stream.destroy(abortedError())
  signal?.addEventListener('abort', onAbort, { once: true })
  try {
    await new Promise<void>((resolve, reject) => {
      stream.once('open', () => resolve())
      stream.once('error', (err: Error) => reject(err))
      stream.once('close', () => reject(new Error('closed before it opened')))
    })
  } catch (err) {
    stream.destroy()
    if (signal?.aborted) throw abortedError()
    throw HypernetError.CONNECTION_FAILED(`could not connect to service key ${formatId(serviceKey)}: ${(err as Error).message}`, err)
  } finally {
    clearTimeout(timer)
    signal?.removeEventListener('abort', onAbort)
    stream.removeListener('error', onEarlyError)
  }
  return stream
}

/**
 * Connect to a service by hash: look up peers that vouch for it (with `endorsed`, that their
 * publisher endorses), try them in the order found (recently refreshed first).
 * @throws NOT_FOUND when no such peer vends it; CONNECTION_FAILED when none answers
 */
export async function dialServiceHash(dht: DHT, serviceHash: Buffer, opts: DialOptions = {}): Promise<{ stream: SecretStream; peer: LookupPeer }> {
  const timeoutMs = opts.timeoutMs ?? 15_000
  const deadline = Date.now() + timeoutMs
  let lastErr: unknown = null
  let tried = 0
  const endorsements = opts.endorsed ? { endorsements: endorsementCheck(dht), endorsedOnly: true } : {}
  const what = opts.endorsed ? 'endorsed' : 'host-vouched'
  const peers = opts.peers ?? lookupVerified(dht, serviceHash, { timeoutMs, signal: opts.signal, hosts: opts.hosts, ...endorsements })
  for await (const peer of peers) {
    if (opts.signal?.aborted) throw abortedError()
    if (!peer.serviceKey || opts.exclude?.has(peer.serviceKey)) continue
    tried++
    try {
      const key = Buffer.from(peer.serviceKey, 'hex')
      const left = Math.max(1000, deadline - Date.now())
      const stream = await (opts.connect ? opts.connect(key, left, opts.signal) : connectKey(dht, key, left, {}, opts.signal))
      return { stream, peer }
    } catch (err) {
      if (opts.signal?.aborted) throw abortedError()
      lastErr = err
    }
  }
  if (opts.signal?.aborted) throw abortedError()
  if (tried === 0) throw HypernetError.NOT_FOUND(`no ${what} peer vends service ${formatId(serviceHash)}`)
  throw HypernetError.CONNECTION_FAILED(
    `none of the ${tried} ${what} peers of service ${formatId(serviceHash)} answered: ${(lastErr as Error)?.message}`,
    lastErr
  )
}
