import type { ControlOp } from '../control/index.ts'
import { NO_ARGS, argsSchema, bool, int, str } from '../control/index.ts'
import { HypernetError } from '../errors.ts'
import type { GetResult } from './kv-results.ts'
import type { KvService } from './kv-service.ts'

/**
 * The DHT store's control-socket operations (JSON in and out; values as base64):
 * - `kv.put { key?, valueBase64, immutable?, signer?, seq? }` -> PutResult
 * - `kv.get { ref, signer? }` -> GetResult with `valueBase64`
 * - `kv.rm { ref, signer? }`, `kv.pin { ref }`, `kv.unpin { ref }`, `kv.ls`, `kv.repair`
 */
export function kvControlOps(kv: () => KvService): Record<string, ControlOp> {
  const signer = { type: ['string', 'null'], maxLength: 256 }
  const ref = argsSchema({ ref: str(256) }, ['ref'])
  return {
    'kv.put': {
      // base64 of at most KV.maxValueBytes, with room to spare: the service checks the exact size
      args: argsSchema({ key: str(256), valueBase64: str(4096), immutable: bool, signer, seq: int(0, Number.MAX_SAFE_INTEGER) }, ['valueBase64']),
      run: async (a) => {
        const value = bytes(a.valueBase64)
        if (a.immutable === true) return kv().putImmutable(value)
        return kv().put(text(a.key, 'key'), value, { signer: optional(a.signer, 'signer'), seq: a.seq === undefined ? undefined : Number(a.seq) })
      }
    },
    'kv.get': {
      args: argsSchema({ ref: str(256), signer }, ['ref']),
      run: async (a) => getJson(await kv().get(text(a.ref, 'ref'), { signer: optional(a.signer, 'signer') }))
    },
    'kv.rm': {
      args: argsSchema({ ref: str(256), signer }, ['ref']),
      run: async (a) => kv().remove(text(a.ref, 'ref'), { signer: optional(a.signer, 'signer') })
    },
    'kv.pin': { args: ref, run: async (a) => kv().pin(text(a.ref, 'ref')) },
    'kv.unpin': { args: ref, run: async (a) => kv().unpin(text(a.ref, 'ref')) },
    'kv.ls': { args: NO_ARGS, run: async () => kv().list() },
    'kv.repair': { args: NO_ARGS, run: async () => kv().repairNow() }
  }
}

/** A GetResult as JSON: the value as base64. */
export function getJson(r: GetResult): Omit<GetResult, 'value'> & { valueBase64: string | null } {
  const { value, ...rest } = r
  return { ...rest, valueBase64: value ? value.toString('base64') : null }
}

function text(v: unknown, field: string): string {
  if (typeof v !== 'string') throw HypernetError.USAGE(`${field}: expected a string, got ${JSON.stringify(v ?? null)}`)
  return v
}

function optional(v: unknown, field: string): string | undefined {
  return v === undefined || v === null ? undefined : text(v, field)
}

function bytes(v: unknown): Buffer {
  if (typeof v !== 'string' || !/^[A-Za-z0-9+/]*={0,2}$/.test(v))
    throw HypernetError.USAGE(`valueBase64: expected the value as base64, got ${JSON.stringify(v ?? null)}`)
  return Buffer.from(v, 'base64')
}
