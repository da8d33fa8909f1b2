import { HypernetError } from '../errors.ts'

/**
 * The one reader of WebAssembly's binary layout the host needs: the section list and LEB128
 * integers. Used by the audit (memory limits), the memory cap (rewriting the memory section)
 * and the bench (growing a module). Everything it cannot parse is WASM_INVALID naming `label`.
 */

export interface WasmSection {
  id: number
  /** Offset of the section's id byte, of its first content byte, and of its end. */
  header: number
  start: number
  end: number
}

const MAGIC = [0x00, 0x61, 0x73, 0x6d]

/** True when `bytes` starts with the wasm magic and has room for a version. */
export function hasWasmMagic(bytes: Uint8Array): boolean {
  return bytes.byteLength >= 8 && MAGIC.every((b, i) => bytes[i] === b)
}

/**
 * Every section of a module, in order.
 * @throws WASM_INVALID when a section runs past the end or an integer is malformed
 */
export function readSections(bytes: Uint8Array, label = 'module'): WasmSection[] {
  const r = new WasmReader(bytes, 8, label)
  const out: WasmSection[] = []
  while (r.pos < bytes.byteLength) {
    const header = r.pos
    const id = r.byte()
    const size = r.u32()
    const start = r.pos
    const end = start + size
    if (end > bytes.byteLength)
      throw HypernetError.WASM_INVALID(label, `not a valid WebAssembly module (truncated or corrupt): section ${id} runs past its end`)
    out.push({ id, header, start, end })
    r.pos = end
  }
  return out
}

/** A cursor over module bytes: bytes, unsigned LEB128 u32s, skips; never reads past `bytes`. */
export class WasmReader {
  constructor(
    readonly bytes: Uint8Array,
    public pos: number,
    readonly label = 'module'
  ) {}

  byte(): number {
    if (this.pos >= this.bytes.byteLength)
      throw HypernetError.WASM_INVALID(this.label, 'not a valid WebAssembly module (truncated or corrupt): it ends mid-section')
    return this.bytes[this.pos++]
  }

  u32(): number {
    let result = 0
    for (let shift = 0; shift < 35; shift += 7) {
      const b = this.byte()
      result += (b & 0x7f) * 2 ** shift
      if ((b & 0x80) === 0) return result
    }
    throw HypernetError.WASM_INVALID(this.label, 'not a valid WebAssembly module (truncated or corrupt): a malformed LEB128 integer')
  }

  skip(n: number): void {
    if (this.pos + n > this.bytes.byteLength)
      throw HypernetError.WASM_INVALID(this.label, 'not a valid WebAssembly module (truncated or corrupt): it ends mid-section')
    this.pos += n
  }
}
