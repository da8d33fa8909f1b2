/**
 * Grows a wasm module to a given size with real code: appends functions of plain i32
 * arithmetic (never called, but validated and compiled like any other), so the install row
 * measures a 1 MiB plugin whose size is code, as a compiled-from-Rust or C plugin's would be.
 * Existing function indices do not move: the new type goes last in the type section and the
 * new functions last in the function and code sections.
 */

import { uleb } from '../host/util/leb128.ts'
import { WasmReader, readSections } from '../host/util/wasm-sections.ts'

const SECTION = { type: 1, function: 3, code: 10 } as const
const I32 = 0x7f

/**
 * A copy of `wasm` grown to at least `targetBytes` with generated functions.
 * @throws Error when the module has no type, function or code section
 */
export function padWithCode(wasm: Uint8Array, targetBytes: number, seed = 1): Uint8Array {
  const sections = readSections(wasm)
  const find = (id: number) => {
    const s = sections.find((x) => x.id === id)
    if (!s) throw new Error(`padWithCode: the module has no section ${id}`)
    return s
  }
  const types = find(SECTION.type)
  const funcs = find(SECTION.function)
  const code = find(SECTION.code)
  const typeIndex = new WasmReader(wasm, types.start).u32()

  const rand = xorshift(seed)
  const bodies: number[][] = []
  let grown = wasm.byteLength + 16
  while (grown < targetBytes) {
    const body = functionBody(rand, Math.min(1024, Math.max(16, targetBytes - grown)))
    bodies.push(body)
    grown += body.length + 1
  }

  const out: number[] = Array.from(wasm.subarray(0, 8))
  for (const s of sections) {
    const content = wasm.subarray(s.start, s.end)
    if (s.id === SECTION.type) {
      emit(out, s.id, appendVector(content, 1, [0x60, 1, I32, 1, I32]))
    } else if (s.id === SECTION.function) {
      emit(
        out,
        s.id,
        appendVector(
          content,
          bodies.length,
          bodies.flatMap(() => uleb(typeIndex))
        )
      )
    } else if (s.id === SECTION.code) {
      emit(
        out,
        s.id,
        appendVector(
          content,
          bodies.length,
          bodies.flatMap((b) => [...uleb(b.length), ...b])
        )
      )
    } else {
      emit(out, s.id, Array.from(content))
    }
  }
  void funcs
  void code
  return new Uint8Array(out)
}

/** ~`size` bytes of (i32) -> i32: x = ((x ^ a) * b) + (x >>> k), repeated; return x. */
function functionBody(rand: () => number, size: number): number[] {
  const b: number[] = [0] // no locals beyond the parameter
  while (b.length < size - 4) {
    b.push(0x20, 0, 0x41, ...sleb(rand() | 0), 0x73) // local.get 0, i32.const a, i32.xor
    b.push(0x41, ...sleb(rand() | 1 | 0), 0x6c) // i32.const b, i32.mul
    b.push(0x20, 0, 0x41, ...sleb(rand() % 31), 0x76, 0x6a) // local.get 0, i32.const k, i32.shr_u, i32.add
    b.push(0x21, 0) // local.set 0
  }
  b.push(0x20, 0, 0x0b) // local.get 0, end
  return b
}

/** A vector's content with `extra` more entries (already encoded) appended. */
function appendVector(content: Uint8Array, added: number, entries: number[]): number[] {
  const r = new WasmReader(content, 0)
  const count = r.u32()
  return [...uleb(count + added), ...content.subarray(r.pos), ...entries]
}

function emit(out: number[], id: number, content: number[]): void {
  out.push(id, ...uleb(content.length))
  for (const b of content) out.push(b)
}

function sleb(n: number): number[] {
  const out: number[] = []
  for (;;) {
    const b = n & 0x7f
    n >>= 7
    if ((n === 0 && (b & 0x40) === 0) || (n === -1 && (b & 0x40) !== 0)) {
      out.push(b)
      return out
    }
    out.push(b | 0x80)
  }
}

function xorshift(seed: number): () => number {
  let x = seed >>> 0 || 1
  return () => {
    x ^= x << 13
    x >>>= 0
    x ^= x >>> 17
    x ^= x << 5
    x >>>= 0
    return x
  }
}
