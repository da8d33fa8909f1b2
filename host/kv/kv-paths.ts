import c from 'compact-encoding'
import { COMMANDS, ERROR } from 'hyperdht/lib/constants.js'
import { mutableGetResponse, mutablePutRequest } from 'hyperdht/lib/messages.js'
import type DHT from 'hyperdht'
import type { RpcReply } from 'hyperdht'
import { KV_WIRE_ERROR } from '../constants.ts'
import { HypernetError } from '../errors.ts'
import { recordTarget } from './kv-address.ts'
import { KV_COMMAND, kvRequest } from './kv-plugin.ts'
import { envelopeBytes, openEnvelope, openEnvelopeBytes } from './kv-record.ts'
import type { KvRecord } from './kv-record.ts'

/**
 * The two places a named record is stored, at the same DHT target BLAKE2b-256(address):
 * - `plugin`: nodes running the Hypernet KV plugin, which check owner signatures, ranks and
 *   quotas and say why they refuse;
 * - `mirror`: HyperDHT's own mutable record for the address key, kept by every HyperDHT node
 *   (including the public network's, which do not run the plugin). Same signed bytes; those
 *   nodes check the address key's signature and the seq, and drop what fails without a word.
 * Readers verify every reply from either path the same way (kv-record.ts) and trust neither.
 */

export type StorePath = 'plugin' | 'mirror'

/** How one storage path reads, parses and writes a named record. */
export interface RecordPath {
  name: StorePath
  /** The query command and payload that read what a node holds. */
  read(): { command: number; value: Buffer | null }
  /**
   * Retries per node while walking. One: a walk that must wait for unanswering nodes (gone, or
   * HyperDHT 6.31+ nodes without the plugin, which never answer PLUGIN) waits 1 s per try, and a
   * missed reply costs little with 8 replicas and repair rounds. Writes keep dht-rpc's retries.
   */
  retries: number
  /** The verified record a reply holds, or null for none. @throws BAD_MESSAGE, SIGNATURE_INVALID */
  parse(address: Uint8Array, reply: RpcReply): KvRecord | null
  /** Store `record` at the node that sent `reply` (using its token). */
  write(dht: DHT, reply: RpcReply, record: KvRecord): Promise<RpcReply>
}

/** Retries per node of every KV walk (see RecordPath.retries). */
export const WALK_RETRIES = 1

/** Through the Hypernet KV plugin's GET and PUT commands. */
export const PLUGIN_PATH: RecordPath = {
  name: 'plugin',
  read: () => ({ command: COMMANDS.PLUGIN, value: kvRequest(KV_COMMAND.GET) }),
  retries: WALK_RETRIES,
  parse: (address, reply) => (reply.value ? openEnvelopeBytes(address, reply.value) : null),
  write: (dht, reply, r) =>
    dht.request(
      { token: reply.token, target: recordTarget(r.address), command: COMMANDS.PLUGIN, value: kvRequest(KV_COMMAND.PUT, envelopeBytes(r)) },
      reply.from
    )
}

/** Through HyperDHT's own MUTABLE_GET and MUTABLE_PUT, under the address key. */
export const MIRROR_PATH: RecordPath = {
  name: 'mirror',
  read: () => ({ command: COMMANDS.MUTABLE_GET, value: c.encode(c.uint, 0) }),
  retries: WALK_RETRIES,
  parse(address, reply) {
    if (!reply.value) return null
    let m: { seq: number; value: Uint8Array; signature: Uint8Array }
    try {
      m = c.decode(mutableGetResponse, reply.value)
    } catch (err) {
      throw HypernetError.BAD_MESSAGE(`mutable record: malformed (${(err as Error).message})`)
    }
    return openEnvelope(address, { seq: m.seq, record: m.value, signature: m.signature })
  },
  write(dht, reply, r) {
    const value = c.encode(mutablePutRequest, { publicKey: r.address, seq: r.seq, value: r.envelope.record, signature: r.envelope.signature })
    return dht.request({ token: reply.token, target: recordTarget(r.address), command: COMMANDS.MUTABLE_PUT, value }, reply.from)
  }
}

/** The paths by name. */
export const PATHS: Record<StorePath, RecordPath> = { plugin: PLUGIN_PATH, mirror: MIRROR_PATH }

const NAMES = new Map<number, string>([
  ...Object.entries(KV_WIRE_ERROR).map(([k, v]) => [v, k] as [number, string]),
  [ERROR.SEQ_REUSED, 'SEQ_REUSED'],
  [ERROR.SEQ_TOO_LOW, 'SEQ_TOO_LOW'],
  [1, 'UNKNOWN_COMMAND'],
  [2, 'INVALID_TOKEN']
])

/** The name of a wire error a node answered with (ours, HyperDHT's or dht-rpc's). */
export function refusalName(code: number): string {
  return NAMES.get(code) ?? `ERROR_${code}`
}

/** A node as people read it. */
export function nodeLabel(from: { host: string; port: number }): string {
  return `${from.host}:${from.port}`
}
