/**
 * Persistent per-app storage: a small key-value store kept by the host across restarts.
 * Needs `permissions.storage` in the manifest. Keys are 1..256 bytes, values at most 64 KiB;
 * both may be given as a string (stored as UTF-8) or a Uint8Array.
 */
import { EINVAL, ENOTFOUND, hn_store_delete, hn_store_get, hn_store_put } from "./raw"
import { setLastError } from "./errors"

/** Largest value the host stores (ABI v1). */
export const MAX_VALUE_BYTES: i32 = 64 * 1024
/** Longest key the host accepts (ABI v1). */
export const MAX_KEY_BYTES: i32 = 256

// A value the host says is longer than this is not read at all.
const MAX_RETRY_BYTES: i32 = 16 << 20

// Sized for the largest value so that a get is one host call; allocated on first use.
let scratch: ArrayBuffer | null = null

function bytesOf<T>(value: T): Uint8Array {
  if (isString<T>()) {
    return Uint8Array.wrap(String.UTF8.encode(changetype<string>(value)))
  } else if (value instanceof Uint8Array) {
    return changetype<Uint8Array>(value)
  } else {
    ERROR("storage keys and values are a string or a Uint8Array")
    return changetype<Uint8Array>(0)
  }
}

export namespace storage {
  /**
   * The value stored under `key`, or null: absent (`lastError()` is ENOTFOUND) or refused
   * (EDENIED without the storage permission, EINVAL for a bad key).
   */
  export function get<K>(key: K): Uint8Array | null {
    const k = bytesOf<K>(key)
    let buf = scratch
    if (buf === null) {
      buf = new ArrayBuffer(MAX_VALUE_BYTES)
      scratch = buf
    }
    let len = hn_store_get(k.dataStart, k.length, changetype<usize>(buf), buf.byteLength)
    if (len > buf.byteLength) {
      // Larger than ABI v1 promises: ask again with room for it, within reason.
      if (len > MAX_RETRY_BYTES) {
        setLastError(EINVAL)
        return null
      }
      buf = new ArrayBuffer(len)
      len = hn_store_get(k.dataStart, k.length, changetype<usize>(buf), len)
      if (len > buf.byteLength) len = ENOTFOUND
    }
    if (len < 0) {
      setLastError(len)
      return null
    }
    return Uint8Array.wrap(buf.slice(0, len))
  }

  /** The value under `key` decoded as UTF-8, or null as `get`. */
  export function getString<K>(key: K): string | null {
    const value = get<K>(key)
    if (value === null) return null
    return String.UTF8.decodeUnsafe(value.dataStart, value.length)
  }

  /**
   * Store `value` (a string or Uint8Array) under `key`. Returns 0, or ENOSPACE (over the
   * app's quota), EDENIED (no storage permission), EINVAL (key or value too long).
   */
  export function put<K, V>(key: K, value: V): i32 {
    const k = bytesOf<K>(key)
    const v = bytesOf<V>(value)
    const rc = hn_store_put(k.dataStart, k.length, v.dataStart, v.length)
    if (rc < 0) setLastError(rc)
    return rc
  }

  /** Delete `key`. Returns 0, or ENOTFOUND, EDENIED, EINVAL. */
  export function remove<K>(key: K): i32 {
    const k = bytesOf<K>(key)
    const rc = hn_store_delete(k.dataStart, k.length)
    if (rc < 0) setLastError(rc)
    return rc
  }
}
