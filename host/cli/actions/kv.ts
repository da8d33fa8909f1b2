import { readFile, writeFile } from 'node:fs/promises'
import { callDaemon, daemonRunning } from '../../control/index.ts'
import { decodeId } from '../../encoding/ids.ts'
import { HypernetError } from '../../errors.ts'
import { loadOrCreateKeyFile } from '../../keys/index.ts'
import { checkKeyName, checkValue, parseAddress } from '../../kv/index.ts'
import { kvControlOps } from '../../kv/index.ts'
import { listEntries, unpinEntry } from '../../kv/index.ts'
import { KvService } from '../../kv/index.ts'
import { KvState } from '../../kv/index.ts'
import type { CliContext } from '../context.ts'
import { checkOutputFile } from '../output-path.ts'
import { formatGet, formatList, formatPin, formatPut, formatRemove } from './kv-format.ts'
import type { GetJson, PutJson, RemoveJson } from './kv-format.ts'
import { commandDht } from './network.ts'

/** The parsed `kv` arguments. */
export interface KvArgs {
  action: 'put' | 'get' | 'rm' | 'ls' | 'pin' | 'unpin'
  key?: string
  value?: string
  file?: string
  immutable?: boolean
  keyName?: string
  out?: string
  bootstrap?: string[]
}

const KEY_NAME = /^[a-zA-Z0-9][a-zA-Z0-9._-]{0,63}$/

/**
 * `kv <action>`: through the running daemon when one runs (and no --bootstrap was given), else
 * on a DHT node of its own; what is put or pinned without a daemon is recorded in `<home>/kv/`
 * and kept alive once the host runs. `ls` and `unpin` only read and change that record.
 * @throws USAGE, KV_TOO_LARGE, FILE_NOT_FOUND, KEY_NOT_FOUND, NOT_FOUND, KV_REMOVED,
 * KV_NOT_OWNER, KV_STALE, KV_QUOTA, KV_REFUSED, KV_UNAVAILABLE
 */
export async function kv(ctx: CliContext, args: KvArgs): Promise<void> {
  if (args.keyName !== undefined && !KEY_NAME.test(args.keyName)) {
    throw HypernetError.USAGE(`--key-name: expected letters, digits, ".", "_" or "-", got ${JSON.stringify(args.keyName)}`)
  }
  const signer = args.keyName
  switch (args.action) {
    case 'put': {
      const { key, value } = await putInput(args)
      const r = await call<PutJson>(ctx, args, 'kv.put', { key, valueBase64: value.toString('base64'), immutable: args.immutable === true, signer })
      ctx.data(r, () => formatPut(r))
      return
    }
    case 'get': {
      const ref = need(args.key, 'key', 'a key name or an address')
      if (!decodeId(ref)) checkKeyName(ref, 'key')
      if (args.out !== undefined) await checkOutputFile(args.out, '--out')
      const r = await call<GetJson>(ctx, args, 'kv.get', { ref, signer })
      if (r.state === 'removed') throw HypernetError.KV_REMOVED(r.address, r.owner ?? '?', r.seq ?? 0)
      const value = Buffer.from(r.valueBase64 ?? '', 'base64')
      if (args.out) await writeFile(args.out, value)
      if (ctx.json) ctx.data(r, () => [])
      else if (args.out) ctx.say(formatGet(r, value.byteLength, args.out))
      else ctx.io.stdout.write(value)
      return
    }
    case 'rm': {
      const ref = need(args.key, 'key', 'a key name or an address')
      if (!decodeId(ref)) checkKeyName(ref, 'key')
      const r = await call<RemoveJson>(ctx, args, 'kv.rm', { ref, signer })
      ctx.data(r, () => formatRemove(r))
      return
    }
    case 'pin': {
      const ref = need(args.key, 'address', 'an address')
      parseAddress(ref)
      const r = await call<PutJson>(ctx, args, 'kv.pin', { ref })
      ctx.data(r, () => formatPin(r))
      return
    }
    case 'unpin': {
      const ref = need(args.key, 'address', 'an address')
      parseAddress(ref)
      const r = await unpinEntry(new KvState(ctx.paths.kv), ref)
      ctx.data(r, () => [`unpinned ${r.address}: this host no longer keeps it alive`])
      return
    }
    case 'ls': {
      if (args.key !== undefined) throw HypernetError.USAGE(`key: kv ls takes no argument, got ${JSON.stringify(args.key)}`)
      const r = await listEntries(new KvState(ctx.paths.kv))
      ctx.data(r, () => formatList(r))
      return
    }
  }
}

async function putInput(args: KvArgs): Promise<{ key: string | undefined; value: Buffer }> {
  // with --immutable there is no key: the one positional is the value
  const key = args.immutable ? undefined : checkKeyName(need(args.key, 'key', 'a key name'), 'key')
  const inline = args.immutable ? args.key : args.value
  if (args.immutable && args.value !== undefined)
    throw HypernetError.USAGE(`value: kv put --immutable takes one value, got a second argument ${JSON.stringify(args.value)}`)
  if (inline !== undefined && args.file !== undefined) throw HypernetError.USAGE('value: expected a value argument or --file, got both')
  if (inline === undefined && args.file === undefined) throw HypernetError.USAGE('value: expected a value argument or --file, got neither')
  let value: Buffer
  if (args.file !== undefined) {
    try {
      value = await readFile(args.file)
    } catch (err: any) {
      if (err.code === 'ENOENT') throw HypernetError.FILE_NOT_FOUND(args.file, 'value file')
      throw err
    }
  } else value = Buffer.from(String(inline))
  checkValue(value, args.file !== undefined ? `--file ${args.file}` : 'value')
  return { key, value }
}

function need(v: string | undefined, field: string, what: string): string {
  if (v === undefined || v === '') throw HypernetError.USAGE(`${field}: expected ${what}, got none`)
  return String(v)
}

/** Run a network operation through the daemon, or on a DHT node of this command's own. */
async function call<T>(ctx: CliContext, args: KvArgs, op: string, req: Record<string, unknown>): Promise<T> {
  if (!args.bootstrap && (await daemonRunning(ctx.paths.socket))) return callDaemon<T>(ctx.paths.socket, op, req)
  const dht = await commandDht(ctx, args.bootstrap)
  try {
    const identity = await loadOrCreateKeyFile(ctx.paths.identity)
    const service = new KvService({ dht, identity, paths: ctx.paths }, { serve: false, republish: false })
    await service.ready()
    const r = (await kvControlOps(() => service)[op].run(req, () => {}, new AbortController().signal)) as T
    if ((op === 'kv.put' || op === 'kv.pin') && !(await daemonRunning(ctx.paths.socket)))
      ctx.say('no daemon runs: this host keeps it alive from its next start (hypernet-host start)')
    return r
  } finally {
    await dht.destroy()
  }
}
