import { readFile } from 'node:fs/promises'
import { dirname } from 'node:path'
import { Ajv } from 'ajv'
import type { ErrorObject, ValidateFunction } from 'ajv'
import { ONION } from '../constants.ts'
import { HypernetError } from '../errors.ts'
import { formatSize, parseSize } from '../util/byte-size.ts'
import { describeValue, valueAt } from '../util/json-pointer.ts'
import { atomicWrite } from '../util/atomic-write.ts'
import { CONFIG_SCHEMA } from './config-schema.ts'
import type { HostConfig } from './config-schema.ts'
import { makeDirs } from '../util/make-dirs.ts'
import { WEB_ADDRESS_EXPECTED, readLoopbackAddress } from '../util/loopback-address.ts'

/**
 * `<home>/config.json`: the settings a host keeps between runs. Precedence, for every setting
 * that has a flag: flag > environment variable (only HYPERNET_BOOTSTRAP) > this file > default.
 * The file is checked against CONFIG_SCHEMA on every read and before every write; a write that
 * would break it writes nothing. Errors name the file and the field:
 * `CONFIG_INVALID: /h/config.json /relay/port: must be <= 65535, got 70000`.
 */

let compiled: ValidateFunction | null = null

function validator(): ValidateFunction {
  compiled ??= new Ajv({ allErrors: false, strict: true }).compile(CONFIG_SCHEMA)
  return compiled
}

/** Check a parsed config. @throws CONFIG_INVALID naming `file` and the field */
export function validateConfig(value: unknown, file: string): HostConfig {
  const validate = validator()
  if (!validate(value)) throw toError((validate.errors ?? [])[0], value, file)
  // a size the schema's pattern cannot judge: the same floor (and finiteness) as --onion-max-memory's
  const memory = (value as HostConfig).onion?.maxMemory
  if (memory !== undefined && !(parseSize(memory) >= ONION.minRelayHeldBytes))
    throw HypernetError.CONFIG_INVALID(
      file,
      '/onion/maxMemory',
      `expected bytes of at least ${formatSize(ONION.minRelayHeldBytes)} (what one onion circuit may hold) such as 64M or 1G, got ${JSON.stringify(memory)}`
    )
  // loopback only, the same check as `start --web`'s, so `config set` refuses what `start` would
  const web = (value as HostConfig).web?.address
  if (web !== undefined && !readLoopbackAddress(web))
    throw HypernetError.CONFIG_INVALID(file, '/web/address', `${WEB_ADDRESS_EXPECTED}, got ${JSON.stringify(web)}`)
  return value as HostConfig
}

/** Read the config file; a missing file is an empty config. @throws CONFIG_INVALID (not JSON, or off the schema) */
export async function readConfig(file: string): Promise<HostConfig> {
  let text: string
  try {
    text = await readFile(file, 'utf8')
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return {}
    throw err
  }
  let value: unknown
  try {
    value = JSON.parse(text)
  } catch (err) {
    throw HypernetError.CONFIG_INVALID(file, '', `expected JSON, ${(err as Error).message}`, err)
  }
  return validateConfig(value, file)
}

/** Validate and write the whole config (atomically). @throws CONFIG_INVALID, and nothing is written */
export async function writeConfig(file: string, config: HostConfig): Promise<void> {
  validateConfig(config, file)
  await makeDirs(dirname(file))
  await atomicWrite(file, JSON.stringify(config, null, 2) + '\n')
}

/** Every settable key, dotted (`relay.maxConnections`), with its schema node. */
export function configKeys(): Map<string, SchemaNode> {
  const out = new Map<string, SchemaNode>()
  const walk = (node: SchemaNode, prefix: string) => {
    for (const [k, child] of Object.entries(node.properties ?? {})) {
      const key = prefix ? `${prefix}.${k}` : k
      if (child.type === 'object') walk(child, key)
      else out.set(key, child)
    }
  }
  walk(CONFIG_SCHEMA as unknown as SchemaNode, '')
  return out
}

interface SchemaNode {
  type?: string
  properties?: Record<string, SchemaNode>
  items?: SchemaNode
}

/**
 * A copy of `config` with `key` set to `raw` read as the key's type: integer and boolean words
 * (true/false/on/off/yes/no/1/0) are converted, lists split on commas or spaces; a value that
 * does not convert stays a string, so the schema check names it.
 * @throws CONFIG_INVALID for an unknown key or a bad value
 */
export function setKey(config: HostConfig, key: string, raw: string, file: string): HostConfig {
  const node = configKeys().get(key)
  if (!node) throw unknownKey(key, file)
  let value: unknown = raw
  if (node.type === 'integer' && /^-?\d+$/.test(raw.trim())) value = Number(raw.trim())
  else if (node.type === 'boolean') value = BOOL[raw.trim().toLowerCase()] ?? raw
  else if (node.type === 'array') value = raw.split(/[\s,]+/).filter(Boolean)
  const next = structuredClone(config) as Record<string, any>
  const parts = key.split('.')
  let at = next
  for (const p of parts.slice(0, -1)) at = at[p] ??= {}
  at[parts[parts.length - 1]] = value
  return validateConfig(next, file)
}

/** A copy of `config` without `key` (and without objects it leaves empty). @throws CONFIG_INVALID for an unknown key */
export function unsetKey(config: HostConfig, key: string, file: string): HostConfig {
  if (!configKeys().has(key)) throw unknownKey(key, file)
  const next = structuredClone(config) as Record<string, any>
  const [top, sub] = key.split('.')
  if (sub === undefined) delete next[top]
  else if (next[top]) {
    delete next[top][sub]
    if (Object.keys(next[top]).length === 0) delete next[top]
  }
  return next as HostConfig
}

const BOOL: Record<string, boolean> = { true: true, on: true, yes: true, 1: true, false: false, off: false, no: false, 0: false }

function unknownKey(key: string, file: string): HypernetError {
  return HypernetError.CONFIG_INVALID(
    file,
    '/' + key.split('.').join('/'),
    `unknown setting ${JSON.stringify(key)} (settings: ${[...configKeys().keys()].join(', ')})`
  )
}

function toError(e: ErrorObject | undefined, root: unknown, file: string): HypernetError {
  if (e === undefined) return HypernetError.CONFIG_INVALID(file, '', 'does not match the schema')
  const path = e.instancePath
  const got = describeValue(valueAt(root, path), 'a list')
  const p = e.params as Record<string, any>
  switch (e.keyword) {
    case 'additionalProperties':
      return HypernetError.CONFIG_INVALID(file, path, `unknown field ${JSON.stringify(p.additionalProperty)}`)
    case 'type':
      return HypernetError.CONFIG_INVALID(
        file,
        path,
        `expected ${p.type === 'integer' ? 'a whole number' : p.type === 'array' ? 'a list' : p.type}, got ${got}`
      )
    case 'enum':
      return HypernetError.CONFIG_INVALID(file, path, `expected one of ${(p.allowedValues as unknown[]).map((v) => JSON.stringify(v)).join(', ')}, got ${got}`)
    case 'pattern':
      return HypernetError.CONFIG_INVALID(file, path, `${hint(path)}, got ${got}`)
    default:
      return HypernetError.CONFIG_INVALID(file, path, `${e.message ?? 'is invalid'}, got ${got}`)
  }
}

function hint(path: string): string {
  if (/^\/(bootstrap\/\d+|metrics\/address|web\/address)$/.test(path)) return 'expected host:port'
  if (/maxBandwidth$/.test(path)) return 'expected bytes per second such as 512K or 8M'
  if (/maxMemory$/.test(path)) return 'expected bytes such as 64M or 1G'
  if (/^\/relay\/use\/\d+$/.test(path)) return 'expected a 32-byte key as 64 hex or 52 z32 characters'
  if (path === '/lan/address') return 'expected an IPv4 address such as 192.168.1.10'
  if (/^\/idle\/apps\/\d+$/.test(path)) return 'expected <app name>=<seconds> such as echo=60'
  return 'does not match the expected format'
}
