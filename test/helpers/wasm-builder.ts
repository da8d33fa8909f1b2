import { uleb } from '../../host/util/leb128.ts'

/**
 * Builds tiny, valid wasm modules byte by byte, so manifest, audit and store tests control
 * exactly what a module imports, exports and declares, without a compiler. Every function
 * takes no arguments and returns i32 0; imports are typed () -> i32. With `start`, a start
 * function (() -> (), not exported) calls that import and drops its result.
 */

export interface ModuleSpec {
  imports?: Array<{ module: string; name: string }>
  /** Exported functions (besides memory). */
  exports?: string[]
  /** Memory limits in pages; null for no memory section. Default { min: 1, max: 16 }. */
  memory?: { min: number; max?: number } | null
  /** Extra bytes in a custom section, to vary the code hash. */
  salt?: string
  /** An import (by name) that a start function calls: plugin code run while the module instantiates. */
  start?: string
}

/** The standard exports of an ABI v1 plugin with services. */
export const ABI_EXPORTS = ['hn_abi_version', 'hn_buffer', 'hn_on_start', 'hn_on_open', 'hn_on_data', 'hn_on_close']

/** Assemble a module. */
export function buildModule(spec: ModuleSpec = {}): Uint8Array {
  const imports = spec.imports ?? []
  const exports = spec.exports ?? ABI_EXPORTS
  const memory = spec.memory === undefined ? { min: 1, max: 16 } : spec.memory
  const out: number[] = [0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00]

  const startImport = spec.start === undefined ? -1 : imports.findIndex((i) => i.name === spec.start)
  if (spec.start !== undefined && startImport < 0) throw new Error(`start calls ${spec.start}, which is not imported`)
  const hasStart = startImport >= 0
  // type 0: () -> i32; type 1: () -> ()
  section(out, 1, [2, 0x60, 0, 1, 0x7f, 0x60, 0, 0])
  if (imports.length) {
    const body = [...uleb(imports.length)]
    for (const i of imports) body.push(...str(i.module), ...str(i.name), 0x00, 0x00)
    section(out, 2, body)
  }
  section(out, 3, [...uleb(exports.length + (hasStart ? 1 : 0)), ...exports.map(() => 0), ...(hasStart ? [1] : [])])
  if (memory) {
    const lim = memory.max === undefined ? [0x00, ...uleb(memory.min)] : [0x01, ...uleb(memory.min), ...uleb(memory.max)]
    section(out, 5, [1, ...lim])
  }
  const exp: number[] = [...uleb(exports.length + (memory ? 1 : 0))]
  if (memory) exp.push(...str('memory'), 0x02, 0x00)
  exports.forEach((name, i) => exp.push(...str(name), 0x00, ...uleb(imports.length + i)))
  section(out, 7, exp)
  const startIndex = imports.length + exports.length
  if (hasStart) section(out, 8, [...uleb(startIndex)])
  // each body: no locals, i32.const 0, end; the start function: call the import, drop, end
  const code: number[] = [...uleb(exports.length + (hasStart ? 1 : 0))]
  for (let i = 0; i < exports.length; i++) code.push(4, 0x00, 0x41, 0x00, 0x0b)
  if (hasStart) {
    const body = [0x00, 0x10, ...uleb(startImport), 0x1a, 0x0b]
    code.push(...uleb(body.length), ...body)
  }
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
