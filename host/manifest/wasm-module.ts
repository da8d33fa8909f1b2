import { HypernetError } from '../errors.ts'
import { WasmReader, hasWasmMagic, readSections } from '../util/wasm-sections.ts'

/**
 * Static facts about a wasm module, read without running it: its imports, its exports, and its
 * memory limits (WebAssembly.Module does not expose those, so the memory section is parsed).
 */

export interface WasmFacts {
  imports: WebAssembly.ModuleImportDescriptor[]
  exports: WebAssembly.ModuleExportDescriptor[]
  /** Declared memory limits in 64 KiB pages; null when the module defines no memory. */
  memory: { min: number; max: number | null } | null
}

/**
 * Compile `bytes` and read its imports, exports and memory limits.
 * @throws WASM_INVALID naming `file` when the bytes are empty, not wasm, or do not compile
 */
export async function inspectWasm(bytes: Uint8Array, file: string): Promise<WasmFacts> {
  if (bytes.byteLength === 0) throw HypernetError.WASM_INVALID(file, 'expected a WebAssembly module, got an empty file')
  if (!hasWasmMagic(bytes)) {
    throw HypernetError.WASM_INVALID(file, 'expected a WebAssembly module (starting with \\0asm), got other bytes')
  }
  let mod: WebAssembly.Module
  try {
    mod = await WebAssembly.compile(new Uint8Array(bytes))
  } catch (err) {
    const why = (err as Error).message.replace(/^WebAssembly\.compile\(\): /, '')
    throw HypernetError.WASM_INVALID(file, `not a valid WebAssembly module (truncated or corrupt): ${why}`, err)
  }
  return {
    imports: WebAssembly.Module.imports(mod),
    exports: WebAssembly.Module.exports(mod),
    memory: readMemoryLimits(bytes)
  }
}

/**
 * The limits of the module's first defined memory, in pages, or null when it defines none.
 * Assumes bytes that already compiled; throws WASM_INVALID on anything it cannot parse.
 */
export function readMemoryLimits(bytes: Uint8Array): { min: number; max: number | null } | null {
  const memory = readSections(bytes).find((s) => s.id === 5)
  if (!memory) return null
  const r = new WasmReader(bytes.subarray(0, memory.end), memory.start)
  const count = r.u32()
  if (count === 0) return null
  const flags = r.byte()
  const min = r.u32()
  const max = flags & 1 ? r.u32() : null
  return { min, max }
}
