import { uleb } from '../../host/util/leb128.ts'

/**
 * Builds tiny, valid wasm modules byte by byte, so manifest, audit and store tests control
 * exactly what a module imports, exports and declares, without a compiler. Every function
 * takes no arguments and returns i32 0; imports are typed () -> i32.
 */

export interface ModuleSpec {
  imports?: Array<{ module: string; name: string }>
  /** Exported functions (besides memory). */
  exports?: string[]
  /** Memory limits in pages; null for no memory section. Default { min: 1, max: 16 }. */
  memory?: { min: number; max?: number } | null
  /** Extra bytes in a custom section, to vary the code hash. */
  salt?: string
}

/** The standard exports of an ABI v1 plugin with services. */
export const ABI_EXPORTS = ['hn_abi_version', 'hn_buffer', 'hn_on_start', 'hn_on_open', 'hn_on_data', 'hn_on_close']

/** Assemble a module. */
export function buildModule(spec: ModuleSpec = {}): Uint8Array {
  const imports = spec.imports ?? []
  const exports = spec.exports ?? ABI_EXPORTS
  const memory = spec.memory === undefined ? { min: 1, max: 16 } : spec.memory
  const out: number[] = [0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00]

  // type 0: () -> i32
  section(out, 1, [1, 0x60, 0, 1, 0x7f])
  if (imports.length) {
    const body = [...uleb(imports.length)]
    for (const i of imports) body.push(...str(i.module), ...str(i.name), 0x00, 0x00)
    section(out, 2, body)
  }
  section(out, 3, [...uleb(exports.length), ...exports.map(() => 0)])
  if (memory) {
    const lim = memory.max === undefined ? [0x00, ...uleb(memory.min)] : [0x01, ...uleb(memory.min), ...uleb(memory.max)]
    section(out, 5, [1, ...lim])
  }
  const exp: number[] = [...uleb(exports.length + (memory ? 1 : 0))]
  if (memory) exp.push(...str('memory'), 0x02, 0x00)
  exports.forEach((name, i) => exp.push(...str(name), 0x00, ...uleb(imports.length + i)))
  section(out, 7, exp)
  // each body: no locals, i32.const 0, end
  const code: number[] = [...uleb(exports.length)]
  for (let i = 0; i < exports.length; i++) code.push(4, 0x00, 0x41, 0x00, 0x0b)
  section(out, 10, code)
  if (spec.salt) section(out, 0, [...str('salt'), ...Buffer.from(spec.salt)])
  return new Uint8Array(out)
}

function section(out: number[], id: number, body: number[]): void {
  out.push(id, ...uleb(body.length), ...body)
}

function str(s: string): number[] {
  const b = Buffer.from(s, 'utf8')
  return [...uleb(b.length), ...b]
}
