import type DHT from 'hyperdht'
import type { KeyPair } from 'hyperdht'
import { HypernetError } from '../errors.ts'
import { formatId } from '../encoding/ids.ts'
import { releaseTopic, serviceHash } from '../manifest/index.ts'
import { decodeExact, encode, hostDescriptor } from '../messages.ts'
import type { HostDescriptorWire } from '../messages.ts'
import { bridgeServiceHash } from '../manifest/index.ts'
import { signerProblem } from './descriptor-page.ts'
import { getMutable } from './mutable-get.ts'

/**
 * The host descriptor: HyperDHT mutable records listing every app and service the host runs,
 * the first under the host key and, when they do not fit, more pages under page keys bound to
 * it (descriptor-page.ts). hyperdht signs each (key, sequence number), so a reader knows the
 * host vouches for each entry; lookups only return peers whose descriptor lists the hash asked
 * about. Each record is kept under 1000 bytes so it fits one UDP datagram on any path.
 */

export const MAX_DESCRIPTOR_BYTES = 1000

/** Encode a descriptor. @throws USAGE when it would not fit one record */
export function encodeDescriptor(d: HostDescriptorWire): Buffer {
  const buf = encode(hostDescriptor, d)
  if (buf.byteLength > MAX_DESCRIPTOR_BYTES) {
    throw HypernetError.USAGE(
      `the host descriptor would be ${buf.byteLength} bytes, above the ${MAX_DESCRIPTOR_BYTES} one DHT record holds: run fewer apps or services on this host`
    )
  }
  return buf
}

/**
 * Publish one descriptor record (the host's, or one of its pages) signed by `signer`, with a
 * sequence number above `prevSeq`; returns the seq used. @throws USAGE when it would not fit
 */
export async function publishDescriptor(dht: DHT, signer: KeyPair, d: Omit<HostDescriptorWire, 'updated'>, prevSeq: number): Promise<number> {
  // milliseconds, not seconds: a restarted host does not know its pages' last seqs, and a page
  // it blanked within the same second as the previous run's copy reused that seq, which the DHT
  // refuses, so the old page stayed listed (a flaky restart test in CI). Records of earlier
  // versions (seconds) are always below it.
  const seq = Math.max(prevSeq + 1, Date.now())
  const value = encodeDescriptor({ ...d, updated: Math.floor(Date.now() / 1000) })
  await dht.mutablePut(signer, value, { seq })
  return seq
}

export type DescriptorResult = { ok: true; descriptor: HostDescriptorWire; seq: number } | { ok: false; why: string }

/**
 * Fetch and decode the descriptor record under `hostKey` (a host key, or the key of one of a
 * host's descriptor pages: then `descriptor.host` is the host it vouches for, checked against
 * the page's binding); never throws for what a remote sent. By default the
 * newest record (the whole DHT query); `latest: false` takes the first validly signed one
 * found, `seq` only records from that sequence number on; `signal` stops the DHT walk (then the
 * answer is "no signed descriptor found"); `concurrency` caps the walk's requests in flight.
 */
export async function fetchDescriptor(
  dht: DHT,
  hostKey: Buffer,
  opts: { latest?: boolean; seq?: number; signal?: AbortSignal; concurrency?: number } = {}
): Promise<DescriptorResult> {
  let rec
  try {
    rec = await getMutable(dht, hostKey, { latest: opts.latest ?? true, seq: opts.seq, signal: opts.signal, concurrency: opts.concurrency })
  } catch (err) {
    return { ok: false, why: `descriptor fetch failed (${(err as Error).message})` }
  }
  if (!rec) return { ok: false, why: 'no signed descriptor found' }
  try {
    const descriptor = decodeExact(hostDescriptor, rec.value, 'host descriptor')
    const problem = signerProblem(descriptor, hostKey)
    if (problem) return { ok: false, why: problem }
    return { ok: true, descriptor, seq: rec.seq }
  } catch (err) {
    return { ok: false, why: `descriptor malformed (${(err as Error).message})` }
  }
}

export interface VouchedService {
  codeHash: string
  serviceHash: string | null
  app: string
  version: string
  publisher: string
  service: string | null
  port: number | null
  serviceKey: string | null
  /** 'bridge' for a TCP service exposed through a bridge (no code hash, no publisher but the host). */
  kind?: 'app' | 'bridge'
}

/**
 * The entries of a descriptor that vouch for `hash`, as a service hash (recomputed from the
 * entry's code hash and name, never read), as a code hash (one entry per service), as a release
 * topic (recomputed from the entry's publisher and app name; one entry per app, no service), or
 * as an exposed bridge's hash (recomputed from the descriptor's host key and the bridge's name).
 */
export function entriesFor(d: HostDescriptorWire, hash: Buffer): VouchedService[] {
  const out: VouchedService[] = []
  for (const app of d.apps) {
    const code = Buffer.from(app.codeHash)
    const base = { codeHash: formatId(code), app: app.name, version: app.version, publisher: formatId(app.publisher) }
    const byCode = code.equals(hash)
    for (const s of app.services) {
      const sh = serviceHash(code, s.name)
      if (byCode || sh.equals(hash)) out.push({ ...base, serviceHash: formatId(sh), service: s.name, port: s.port, serviceKey: formatId(s.key) })
    }
    if (byCode && app.services.length === 0) out.push({ ...base, serviceHash: null, service: null, port: null, serviceKey: null })
    else if (!byCode && releaseTopic(app.publisher, app.name).equals(hash))
      out.push({ ...base, serviceHash: null, service: null, port: null, serviceKey: null })
  }
  for (const b of d.bridges ?? []) {
    const sh = bridgeServiceHash(d.host, b.name)
    if (sh.equals(hash)) {
      out.push({
        codeHash: '',
        serviceHash: formatId(sh),
        app: 'bridge',
        version: '',
        publisher: formatId(d.host),
        service: b.name,
        port: null,
        serviceKey: formatId(b.key),
        kind: 'bridge'
      })
    }
  }
  return out
}
