import { Ajv } from 'ajv'
import type { ErrorObject, ValidateFunction } from 'ajv'
import { HypernetError, describeValue } from '../errors.ts'

/**
 * Schemas of control requests. The envelope is `{ id?, op, args? }` and nothing else; each
 * operation declares the JSON Schema of its `args` (an object; unknown fields are refused), so
 * no handler ever sees a shape it did not ask for. Checked with ajv, as manifests are.
 */

export type ArgsSchema = Record<string, unknown>

/** Args of an operation that takes none. */
export const NO_ARGS: ArgsSchema = { type: 'object', additionalProperties: false }

/** An object schema: `required` names the fields that must be there, every other one is optional. */
export function argsSchema(properties: Record<string, ArgsSchema>, required: string[] = []): ArgsSchema {
  return { type: 'object', properties, required, additionalProperties: false }
}

export const str = (maxLength = 1024): ArgsSchema => ({ type: 'string', maxLength })
export const bool: ArgsSchema = { type: 'boolean' }
export const int = (minimum: number, maximum: number): ArgsSchema => ({ type: 'integer', minimum, maximum })
export const num = (minimum: number, maximum: number): ArgsSchema => ({ type: 'number', minimum, maximum })

const ENVELOPE = {
  type: 'object',
  properties: {
    id: { type: ['integer', 'string', 'null'], maxLength: 64 },
    op: { type: 'string', maxLength: 64 },
    args: { type: 'object' }
  },
  required: ['op'],
  additionalProperties: false
}

export interface Envelope {
  id?: number | string | null
  op: string
  args?: Record<string, unknown>
}

/** One ajv for the control socket; schemas compiled once, when the server is built. */
export class ControlSchemas {
  private readonly ajv = new Ajv({ allErrors: false, strict: true, allowUnionTypes: true })
  private readonly envelope: ValidateFunction = this.ajv.compile(ENVELOPE)

  compile(schema: ArgsSchema): ValidateFunction {
    return this.ajv.compile(schema)
  }

  /**
   * Check a parsed line as a request envelope.
   * @throws BAD_MESSAGE naming the field at fault
   */
  checkEnvelope(req: unknown): Envelope {
    if (req === null || typeof req !== 'object' || Array.isArray(req)) {
      throw HypernetError.BAD_MESSAGE(`control request: expected a JSON object { id, op, args }, got ${describeValue(req)}`)
    }
    if (!this.envelope(req)) {
      const e = (this.envelope.errors ?? [])[0]
      throw HypernetError.BAD_MESSAGE(`control request${e?.instancePath ?? ''}: ${explain(e, req)}`)
    }
    return req as Envelope
  }
}

/**
 * Check `args` against an operation's compiled schema.
 * @throws BAD_ARGS naming the field at fault
 */
export function checkArgs(op: string, validate: ValidateFunction, args: unknown): void {
  if (validate(args)) return
  const e = (validate.errors ?? [])[0]
  throw HypernetError.BAD_ARGS(op, e?.instancePath ?? '', explain(e, args))
}

function explain(e: ErrorObject | undefined, root: unknown): string {
  if (e === undefined) return 'does not match the schema'
  const p = e.params as Record<string, any>
  const got = describeValue(valueAt(root, e.instancePath))
  switch (e.keyword) {
    case 'required':
      return `missing required field ${JSON.stringify(p.missingProperty)}`
    case 'additionalProperties':
      return `unknown field ${describeValue(p.additionalProperty)}`
    case 'type':
      return `expected ${Array.isArray(p.type) ? p.type.join(' or ') : p.type}, got ${got}`
    case 'enum':
      return `expected one of ${(p.allowedValues as unknown[]).map((v) => JSON.stringify(v)).join(', ')}, got ${got}`
    default:
      return `expected a value that ${e.message ?? 'matches the schema'}, got ${got}`
  }
}

function valueAt(root: unknown, path: string): unknown {
  let v: any = root
  for (const part of path.split('/').slice(1)) {
    if (v === null || typeof v !== 'object') return undefined
    const key = part.replace(/~1/g, '/').replace(/~0/g, '~')
    v = Object.hasOwn(v, key) ? v[key] : undefined
  }
  return v
}
