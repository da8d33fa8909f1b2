/**
 * The buffer behind `hn_buffer`: the host copies incoming bytes straight into it (ABI.md
 * "Bytes cross by copy"). One buffer serves every event because the host fills it only just
 * before the event that reads it; it grows to the largest event seen, never beyond
 * MAX_EVENT_BYTES, and never shrinks, so steady traffic allocates nothing here.
 */

/** Largest event payload the SDK accepts. ABI v1 sends at most 256 KiB of data per event. */
export const MAX_EVENT_BYTES: i32 = 1 << 20

const INITIAL_BYTES: i32 = 16 * 1024

let inbox = new ArrayBuffer(INITIAL_BYTES)

/** @internal Space for `len` incoming bytes; 0 (the ABI's "cannot") when `len` is out of range. */
export function reserve(len: i32): usize {
  if (len < 0 || len > MAX_EVENT_BYTES) return 0
  if (len > inbox.byteLength) {
    let cap = inbox.byteLength
    while (cap < len) cap <<= 1
    // The old buffer becomes garbage; the host writes only after this returns.
    inbox = new ArrayBuffer(min(cap, MAX_EVENT_BYTES))
  }
  return changetype<usize>(inbox)
}

/** @internal The `len` bytes the host just wrote, or null when it wrote more than it asked for. */
export function received(len: i32): Uint8Array | null {
  if (len < 0 || len > inbox.byteLength) return null
  return Uint8Array.wrap(inbox, 0, len)
}
