import { HOW_TO_CAP_MEMORY } from '../abi.ts'
import { LIMITS } from '../constants.ts'
import { HypernetError } from '../errors.ts'
import { uleb } from '../util/leb128.ts'
import { WasmReader as Reader, hasWasmMagic, readSections } from '../util/wasm-sections.ts'

/**
 * The host's own memory cap. Extism's `memory.maxPages` does not bound a plugin's linear
 * memory and worker `resourceLimits` do not cover WebAssembly memory (NOTES.md), but
 * `memory.grow` fails past the maximum a module declares. So the runtime:
 *   - refuses a module whose memory declares no maximum, or a maximum above LIMITS.maxMemoryMiB;
 *   - refuses a module that imports its memory, or uses shared or 64-bit memory;
 *   - refuses a module whose initial size is already above the manifest's limits.memoryMiB;
 *   - lowers a maximum above limits.memoryMiB to it, rewriting the memory section of a copy.
 * The code hash names the published bytes, so it is checked before this runs, never after.
 */

const PAGE = 64 * 1024
const MAX_PAGES = (LIMITS.maxMemoryMiB * 1024 * 1024) / PAGE
const SECTION_IMPORT = 2
const SECTION_MEMORY = 5
const IMPORT_MEMORY = 0x02

export interface CappedModule {
  /** The bytes to instantiate: a copy, with the memory maximum lowered when needed. */
  bytes: Uint8Array
  /** The maximum the module declared, and the one it now has, in pages. */
  declaredMaxPages: number
  maxPages: number
}

/**
 * Check the module's memory against host policy and cap it at `capPages`.
 * @throws MEMORY_LIMIT when the memory has no maximum, a maximum above the host's cap, an
 *   initial size above `capPages`, or is imported, shared or 64-bit
 * @throws WASM_INVALID when the module's sections cannot be read
 */
export function capModuleMemory(wasm: Uint8Array, capPages: number, app = 'module'): CappedModule {
  const bytes = new Uint8Array(wasm) // a copy: never touch the caller's (published) bytes
  if (!hasWasmMagic(bytes)) throw HypernetError.WASM_INVALID(app, 'expected a WebAssembly module (starting with \\0asm), got other bytes')
  let memory: { header: number; start: number; end: number } | null = null
  for (const { id, header, start, end } of readSections(bytes, app)) {
    if (id === SECTION_IMPORT && importsMemory(new Reader(bytes.subarray(0, end), start, app))) {
      throw HypernetError.MEMORY_LIMIT(`${app}: the module imports its memory; the host runs only modules that define their own memory with a maximum`)
    }
    if (id === SECTION_MEMORY) memory = { header, start, end }
  }
  if (memory === null) return { bytes, declaredMaxPages: 0, maxPages: 0 } // no memory: EXPORT_MISSING says so later

  const m = new Reader(bytes.subarray(0, memory.end), memory.start, app)
  const count = m.u32()
  const limits: Array<{ flags: number; min: number; max: number }> = []
  let declaredMax = 0
  for (let i = 0; i < count; i++) {
    const flags = m.byte()
    if (flags & 0x04) throw HypernetError.MEMORY_LIMIT(`${app}: the module uses 64-bit memory; the host runs only 32-bit memories`)
    if (flags & 0x02) throw HypernetError.MEMORY_LIMIT(`${app}: the module uses shared memory; the host runs only unshared memories`)
    const min = m.u32()
    if (!(flags & 0x01)) {
      throw HypernetError.MEMORY_LIMIT(`${app}: the module's memory must declare a maximum of at most ${LIMITS.maxMemoryMiB} MiB, it declares none (${HOW_TO_CAP_MEMORY})`)
    }
    const max = m.u32()
    if (max > MAX_PAGES) {
      throw HypernetError.MEMORY_LIMIT(`${app}: the module's memory maximum must be at most ${LIMITS.maxMemoryMiB} MiB, it declares ${mib(max)} MiB`)
    }
    if (min > capPages) {
      throw HypernetError.MEMORY_LIMIT(`${app}: the module needs ${mib(min)} MiB of memory at start, its manifest allows ${mib(capPages)} MiB (limits.memoryMiB)`)
    }
    declaredMax = Math.max(declaredMax, max)
    limits.push({ flags, min, max: Math.min(max, capPages) })
  }
  if (declaredMax <= capPages) return { bytes, declaredMaxPages: declaredMax, maxPages: declaredMax }

  // Re-encode the memory section; the new LEB128 may be shorter, so the section size changes.
  const body: number[] = [...uleb(count)]
  for (const l of limits) body.push(l.flags, ...uleb(l.min), ...uleb(l.max))
  body.push(...bytes.subarray(m.pos, memory.end)) // nothing should follow, but keep it if it does
  const head = [SECTION_MEMORY, ...uleb(body.length)]
  const sectionStart = memory.header
  const out = new Uint8Array(sectionStart + head.length + body.length + (bytes.byteLength - memory.end))
  out.set(bytes.subarray(0, sectionStart), 0)
  out.set(head, sectionStart)
  out.set(body, sectionStart + head.length)
  out.set(bytes.subarray(memory.end), sectionStart + head.length + body.length)
  return { bytes: out, declaredMaxPages: declaredMax, maxPages: capPages }
}

function importsMemory(r: Reader): boolean {
  const count = r.u32()
  for (let i = 0; i < count; i++) {
    r.skip(r.u32()) // module name
    r.skip(r.u32()) // field name
    const kind = r.byte()
    if (kind === IMPORT_MEMORY) return true
    if (kind === 0x00) r.u32() // function: type index
    else if (kind === 0x01) { r.byte(); limitsSkip(r) } // table: reftype, limits
    else if (kind === 0x03) { r.byte(); r.byte() } // global: valtype, mutability
    else throw HypernetError.WASM_INVALID(r.label, `not a valid WebAssembly module (truncated or corrupt): unknown import kind ${kind}`)
  }
  return false
}

function limitsSkip(r: Reader): void {
  const flags = r.byte()
  r.u32()
  if (flags & 0x01) r.u32()
}

function mib(pages: number): number {
  return (pages * PAGE) / (1024 * 1024)
}
