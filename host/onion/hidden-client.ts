import { randomBytes } from 'node:crypto'
import DHT from 'hyperdht'
import type { SecretStream } from 'hyperdht'
import SecretStreamCtor from '@hyperswarm/secret-stream'
import sodium from 'sodium-native'
import { HIDDEN, ONION_REASON } from '../constants.ts'
import { formatId } from '../encoding/ids.ts'
import { HypernetError, isHypernetError } from '../errors.ts'
import {
  RELAY_CMD,
  decodeExact,
  encode,
  onionConnected,
  onionCookie,
  onionFetch,
  onionIntroduce,
  onionIntroduction,
  onionReason,
  onionRecord
} from '../messages.ts'
import type { HiddenDescriptorWire } from '../messages.ts'
import type { ClientCircuit } from './client-circuit.ts'
import { openDescriptor } from './hidden-record.ts'
import type { OnionClient } from './onion-client.ts'
import { reasonName } from './onion-reasons.ts'
import { staggered } from '../util/staggered.ts'

/**
 * Reaching a hidden service by its key, in Tor's steps, each on its own circuit so that no
 * relay sees two of them: fetch the signed descriptor (through a circuit's last hop, checked
 * here), wait at a rendezvous point of our choosing under a random cookie, ask an introduction
 * point to pass the rendezvous point and cookie to the service (sealed to its key), and when
 * the service arrives, run a Noise handshake (IK) that only the holder of the hidden key can
 * finish. The rendezvous point sees two circuits and ciphertext; the service sees a one-time key.
 */

export interface HiddenConnection {
  stream: SecretStream
  /** The relay keys (hex) of the rendezvous point and the introduction point used. */
  rendezvous: string
  intro: string
}

/**
 * Open an end-to-end encrypted stream to the hidden service `key`.
 * @throws NOT_FOUND when no descriptor is stored under the key, or only a stale one (the
 *   service stopped refreshing it: offline); NO_RELAYS; CIRCUIT_FAILED
 *   (reason `descriptor` for a forged one, `no-such-service` when no intro point knows the
 *   service, `timeout` when it never came to the rendezvous, `handshake` when it could not
 *   prove the key); CIRCUIT_TAMPERED
 */
export async function connectHidden(client: OnionClient, key: Buffer, opts: { timeoutMs?: number } = {}): Promise<HiddenConnection> {
  const cookie = randomBytes(32)
  const [fetched, waiting] = await Promise.allSettled([fetchDescriptor(client, key), waitAtRendezvous(client, cookie)])
  // one failed: the other's circuit must not be left open
  if (waiting.status === 'fulfilled' && fetched.status === 'rejected') waiting.value.circuit.close(ONION_REASON.DONE)
  if (fetched.status === 'rejected') throw fetched.reason
  if (waiting.status === 'rejected') throw waiting.reason
  const descriptor = fetched.value
  const rendezvous = waiting.value
  try {
    const met = rendezvous.met(opts.timeoutMs ?? HIDDEN.rendezvousTimeoutMs)
    met.catch(() => {})
    const intro = await introduce(client, key, descriptor, rendezvous.circuit.path.at(-1)!.relayKey, cookie, rendezvous.windows)
    // both ends keep windows only when the service said so too (RENDEZVOUS2)
    const serviceWindows = await met
    const raw = rendezvous.circuit.openStream(key, rendezvous.windows && serviceWindows)
    const stream = new SecretStreamCtor(true, raw, { keyPair: DHT.keyPair(), remotePublicKey: key, pattern: 'IK' })
    stream.on('error', () => {})
    if (!(await stream.opened)) throw HypernetError.CIRCUIT_FAILED(`hidden service ${formatId(key).slice(0, 16)}… did not prove it holds its key`, 'handshake')
    client.track(stream)
    return { stream, rendezvous: rendezvous.circuit.path.at(-1)!.relayKey, intro }
  } catch (err) {
    rendezvous.circuit.close(ONION_REASON.DONE)
    throw err
  }
}

async function fetchDescriptor(client: OnionClient, key: Buffer): Promise<HiddenDescriptorWire> {
  const found = await client.withCircuit(undefined, async (c) => {
    try {
      const msg = await c.request(RELAY_CMD.FETCH, encode(onionFetch, { key }), RELAY_CMD.FETCHED, 'the relay could not look up the descriptor')
      return openDescriptor(key, decodeExact(onionRecord, msg.data, 'fetched'))
    } catch (err) {
      if (isHypernetError(err) && err.details?.reason === 'no-such-service') return null
      throw err
    } finally {
      c.close()
    }
  })
  if (!found) throw HypernetError.NOT_FOUND(`no hidden service descriptor under key ${formatId(key)}: check the key, or the service is not running`)
  if (found.intros.length === 0) throw HypernetError.NOT_FOUND(`hidden service ${formatId(key)} lists no introduction points`)
  const age = Date.now() - found.updated * 1000
  if (age > HIDDEN.descriptorMaxAgeMs) {
    throw HypernetError.NOT_FOUND(
      `hidden service ${formatId(key)} last published its descriptor ${Math.round(age / 60_000)} minutes ago (expected within ${HIDDEN.descriptorMaxAgeMs / 60_000}): it is offline`
    )
  }
  return found
}

async function waitAtRendezvous(client: OnionClient, cookie: Buffer): Promise<{ circuit: ClientCircuit; windows: boolean; met(ms: number): Promise<boolean> }> {
  let windows = false
  const circuit = await client.withCircuit(undefined, async (c) => {
    const established = await c.request(
      RELAY_CMD.ESTABLISH_RENDEZVOUS,
      encode(onionCookie, { cookie, windows: true }),
      RELAY_CMD.RENDEZVOUS_ESTABLISHED,
      'the rendezvous point refused'
    )
    // a rendezvous point of version 1 answers nothing and would not pass SENDME on
    windows = readFlags(established.data)
    return c
  })
  let arrived = false
  let serviceWindows = false
  let wake: (() => void) | null = null
  circuit.onMessage = (msg) => {
    if (msg.cmd !== RELAY_CMD.RENDEZVOUS2) return false
    arrived = true
    serviceWindows = readFlags(msg.data)
    wake?.()
    return true
  }
  const met = (ms: number) =>
    new Promise<boolean>((resolve, reject) => {
      if (arrived) return resolve(serviceWindows)
      if (circuit.closed) return reject(circuit.error ?? HypernetError.CIRCUIT_FAILED('the rendezvous circuit closed before the service came', 'hop-lost'))
      const timer = setTimeout(() => reject(HypernetError.CIRCUIT_FAILED(`the hidden service did not come to the rendezvous within ${ms} ms`, 'timeout')), ms)
      wake = () => {
        clearTimeout(timer)
        resolve(serviceWindows)
      }
      circuit.onEnd = () => {
        clearTimeout(timer)
        if (!arrived) reject(circuit.error ?? HypernetError.CIRCUIT_FAILED('the rendezvous circuit closed before the service came', 'hop-lost'))
      }
    })
  return { circuit, windows, met }
}

/** The flags byte of RENDEZVOUS_ESTABLISHED or RENDEZVOUS2 (empty from a relay of version 1); a malformed one reads as none. */
function readFlags(data: Uint8Array): boolean {
  try {
    return decodeExact(onionConnected, data, 'rendezvous flags').windows
  } catch {
    return false
  }
}

/**
 * Ask the intro points, in random order, until one passes the introduction on; returns its relay
 * key. The next is asked when one fails or has not answered within HIDDEN.introStaggerMs (an intro
 * point that crashed since the last publish would otherwise cost a whole extend timeout); the
 * service answers a cookie once, so two introductions that both arrive are harmless.
 */
async function introduce(
  client: OnionClient,
  key: Buffer,
  descriptor: HiddenDescriptorWire,
  rendezvousKey: string,
  cookie: Buffer,
  windows: boolean
): Promise<string> {
  const curve = Buffer.alloc(32)
  sodium.crypto_sign_ed25519_pk_to_curve25519(curve, key)
  const plain = encode(onionIntroduction, { rendezvousKey: Buffer.from(rendezvousKey, 'hex'), cookie, windows })
  const sealed = Buffer.alloc(plain.byteLength + sodium.crypto_box_SEALBYTES)
  sodium.crypto_box_seal(sealed, plain, curve)
  const intros = descriptor.intros.map((k) => Buffer.from(k).toString('hex')).sort(() => Math.random() - 0.5)
  const ask = async (relayKey: string): Promise<void> => {
    const relay = await client.relayInfo(relayKey)
    await client.withCircuit(relay, async (c) => {
      try {
        const ack = await c.request(
          RELAY_CMD.INTRODUCE1,
          encode(onionIntroduce, { serviceKey: key, sealed }),
          RELAY_CMD.INTRODUCE_ACK,
          'the introduction point refused'
        )
        const { reason } = decodeExact(onionReason, ack.data, 'introduce ack')
        if (reason !== ONION_REASON.DONE)
          throw HypernetError.CIRCUIT_FAILED(`introduction point ${relayKey.slice(0, 16)}… answered: ${reasonName(reason)}`, reasonName(reason))
      } finally {
        c.close()
      }
    })
  }
  try {
    // tampering is an attack, not bad luck: it fails the connect at once
    return (await staggered(intros, ask, HIDDEN.introStaggerMs, (err) => isHypernetError(err, 'CIRCUIT_TAMPERED'))).item
  } catch (last) {
    if (isHypernetError(last, 'CIRCUIT_TAMPERED')) throw last
    const why = last instanceof Error ? last.message : 'none answered'
    throw HypernetError.CIRCUIT_FAILED(
      `no introduction point of hidden service ${formatId(key).slice(0, 16)}… passed the request on (${intros.length} tried; last: ${why})`,
      isHypernetError(last) ? String(last.details?.reason ?? 'unreachable') : 'unreachable',
      last
    )
  }
}
