import z32 from 'z32'
import { HypernetError } from '../errors.ts'

/**
 * Keys and hashes are 32 bytes. People see them as lowercase hex (so a code hash matches
 * `sha256sum`); every input accepts hex or z32 (HyperDHT's human encoding).
 */

const HEX = /^[0-9a-fA-F]{64}$/
const Z32 = /^[ybndrfg8ejkmcpqxot1uwisza345h769]{52}$/

/** Decode a 32-byte id from hex or z32, or return null when it is neither. */
export function decodeId(s: string): Buffer | null {
  const t = s.trim()
  if (HEX.test(t)) return Buffer.from(t, 'hex')
  if (Z32.test(t)) {
    const b = z32.decode(t)
    return b.length === 32 ? Buffer.from(b) : null
  }
  return null
}

/** Parse a public key. Throws BAD_KEY naming `what` when it is not 32 bytes in hex or z32. */
export function parseKey(s: string, what = 'key'): Buffer {
  const b = typeof s === 'string' ? decodeId(s) : null
  if (b === null) throw HypernetError.BAD_KEY(what, String(s))
  return b
}

/** Parse a hash. Throws BAD_HASH naming `what` when it is not 32 bytes in hex or z32. */
export function parseHash(s: string, what = 'hash'): Buffer {
  const b = typeof s === 'string' ? decodeId(s) : null
  if (b === null) throw HypernetError.BAD_HASH(what, String(s))
  return b
}

/** The one form ids are shown in: lowercase hex. */
export function formatId(b: Uint8Array): string {
  return Buffer.from(b.buffer, b.byteOffset, b.byteLength).toString('hex')
}

/** z32 form, for people who paste keys into other HyperDHT tools. */
export function formatZ32(b: Uint8Array): string {
  return z32.encode(b)
}

/** Short form for tables: first 8 hex chars. */
export function shortId(b: Uint8Array | string): string {
  const hex = typeof b === 'string' ? b : formatId(b)
  return hex.slice(0, 8)
}
