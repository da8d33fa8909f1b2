import { readFileSync } from 'node:fs'
import { Ajv } from 'ajv'
import type { ErrorObject, ValidateFunction } from 'ajv'
import { HypernetError } from '../errors.ts'
import { describeValue, valueAt } from '../util/json-pointer.ts'
import { packageFile } from '../util/package-root.ts'
import type { Manifest } from './types.ts'

/**
 * Schema validation of manifests against manifests/manifest.schema.json, plus the rules JSON
 * Schema cannot say (unique service names and ports, a real expiry date). Errors name the JSON
 * path of the first problem: `MANIFEST_INVALID: /services/1/port: must be <= 65535, got 70000`.
 */

const SCHEMA_FILE = packageFile('manifests', 'manifest.schema.json')

let compiled: ValidateFunction | null = null

function validator(): ValidateFunction {
  if (compiled === null) {
    const ajv = new Ajv({ allErrors: false, strict: true })
    compiled = ajv.compile(JSON.parse(readFileSync(SCHEMA_FILE, 'utf8')))
  }
  return compiled
}

/** The schema as parsed JSON, for `--json` consumers and docs. */
export function manifestSchema(): unknown {
  return JSON.parse(readFileSync(SCHEMA_FILE, 'utf8'))
}

/**
 * Check that `value` is a complete, signed-shape manifest.
 * @throws MANIFEST_INVALID naming the JSON path of the first problem
 */
export function validateManifest(value: unknown): Manifest {
  const validate = validator()
  if (!validate(value)) throw toError((validate.errors ?? [])[0], value)
  const m = value as Manifest
  checkUnique(m)
  if (m.expires !== undefined && Number.isNaN(Date.parse(m.expires))) {
    throw HypernetError.MANIFEST_INVALID('/expires', `expected an ISO 8601 date-time, got ${JSON.stringify(m.expires)}`)
  }
  return m
}

/**
 * Check a draft: a manifest before signing, where `code.hash` and `publisher` may be empty and
 * `signature` absent (sign fills them in).
 * @throws MANIFEST_INVALID naming the JSON path of the first problem
 */
export function validateDraft(value: unknown): void {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    throw HypernetError.MANIFEST_INVALID('', 'expected a JSON object')
  }
  const probe = structuredClone(value) as Record<string, any>
  const zero = '0'.repeat(64)
  if (probe.code && typeof probe.code === 'object' && (probe.code.hash === '' || probe.code.hash === undefined)) probe.code.hash = zero
  if (probe.publisher === '' || probe.publisher === undefined) probe.publisher = zero
  if (probe.signature === undefined || probe.signature === '') probe.signature = '0'.repeat(128)
  validateManifest(probe)
}

function checkUnique(m: Manifest): void {
  const names = new Map<string, number>()
  const ports = new Map<number, number>()
  m.services.forEach((s, i) => {
    if (names.has(s.name))
      throw HypernetError.MANIFEST_INVALID(`/services/${i}/name`, `duplicate service name ${JSON.stringify(s.name)} (also /services/${names.get(s.name)})`)
    if (ports.has(s.port)) throw HypernetError.MANIFEST_INVALID(`/services/${i}/port`, `duplicate port ${s.port} (also /services/${ports.get(s.port)})`)
    names.set(s.name, i)
    ports.set(s.port, i)
  })
}

function toError(e: ErrorObject | undefined, root: unknown): HypernetError {
  if (e === undefined) return HypernetError.MANIFEST_INVALID('', 'does not match the schema')
  const path = e.instancePath
  const got = valueAt(root, path)
  switch (e.keyword) {
    case 'required':
      return HypernetError.MANIFEST_INVALID(path, `missing required field ${JSON.stringify((e.params as any).missingProperty)}`)
    case 'additionalProperties':
      return HypernetError.MANIFEST_INVALID(path, `unknown field ${JSON.stringify((e.params as any).additionalProperty)}`)
    case 'type':
      return HypernetError.MANIFEST_INVALID(path, `expected ${(e.params as any).type}, got ${describeValue(got)}`)
    case 'const':
      return HypernetError.MANIFEST_INVALID(path, `expected ${JSON.stringify((e.params as any).allowedValue)}, got ${describeValue(got)}`)
    case 'enum':
      return HypernetError.MANIFEST_INVALID(
        path,
        `expected one of ${((e.params as any).allowedValues as unknown[]).map((v) => JSON.stringify(v)).join(', ')}, got ${describeValue(got)}`
      )
    case 'pattern':
      return HypernetError.MANIFEST_INVALID(path, `${hint(path)}, got ${describeValue(got)}`)
    default:
      return HypernetError.MANIFEST_INVALID(path, `${e.message ?? 'is invalid'}, got ${describeValue(got)}`)
  }
}

function hint(path: string): string {
  if (/\/(hash|publisher)$/.test(path) || path === '/publisher') return 'expected 32 bytes as 64 hex or 52 z32 characters'
  if (path === '/signature') return 'expected a 64-byte signature as 128 lowercase hex characters'
  if (path === '/expires') return 'expected an ISO 8601 date-time such as 2027-01-01T00:00:00Z'
  if (path === '/app/version') return 'expected a semantic version such as 1.0.0'
  if (path === '/app/name') return 'expected lowercase letters, digits and dashes (at most 64)'
  if (path.startsWith('/permissions/dial/'))
    return 'expected self/<service name> or a service hash, optionally as anonymous/<service hash>, or hidden/<hidden key>'
  if (path.startsWith('/permissions/mesh/')) return 'expected self/<service name> or a service hash'
  if (/\/services\/\d+\/name$/.test(path)) return 'expected lowercase letters, digits, ".", "_" or "-" (at most 64)'
  return 'does not match the expected format'
}
