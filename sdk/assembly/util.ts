/** Clock, randomness and the byte helpers plugins keep rewriting. */
import { hn_now_ms, hn_random } from "./raw"

/** Largest fill the host does per `hn_random` call. */
const RANDOM_CHUNK: i32 = 64 * 1024

/** Milliseconds since the Unix epoch, from the host (there is no `Date.now()` here). */
export function now(): f64 {
  return hn_now_ms()
}

/** Fill `buf` with random bytes from the host. */
export function randomFill(buf: Uint8Array): void {
  for (let off = 0; off < buf.length; off += RANDOM_CHUNK) {
    hn_random(buf.dataStart + <usize>off, min(buf.length - off, RANDOM_CHUNK))
  }
}

/** `n` random bytes from the host. */
export function randomBytes(n: i32): Uint8Array {
  const buf = new Uint8Array(n)
  randomFill(buf)
  return buf
}

/** A string as UTF-8 bytes. */
export function utf8(text: string): Uint8Array {
  return Uint8Array.wrap(String.UTF8.encode(text))
}

/** UTF-8 bytes as a string. */
export function fromUtf8(bytes: Uint8Array): string {
  return String.UTF8.decodeUnsafe(bytes.dataStart, bytes.length)
}

/** Lowercase hex, the form the host shows keys and hashes in. */
export function toHex(bytes: Uint8Array): string {
  let out = ""
  for (let i = 0; i < bytes.length; i++) {
    const b = bytes[i]
    out += (b < 16 ? "0" : "") + b.toString(16)
  }
  return out
}

/** Two byte arrays with the same contents. */
export function bytesEqual(a: Uint8Array, b: Uint8Array): bool {
  if (a.length != b.length) return false
  return memory.compare(a.dataStart, b.dataStart, a.length) == 0
}
