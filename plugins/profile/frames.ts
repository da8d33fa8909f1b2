/**
 * Frames of the profile protocol (README.md): type (u8), payload length (u16 little-endian),
 * payload. The reader is a small state machine that holds at most one frame (of at most
 * `maxPayload` bytes), however the peer splits or batches its bytes.
 */

/** Bytes before the payload. */
export const HEADER_BYTES: i32 = 3

/** One decoded frame. */
export class Frame {
  constructor(public type: u8, public payload: Uint8Array) {}
}

/** Encode one frame. `payload` must be at most 65535 bytes. */
export function encodeFrame(type: u8, payload: Uint8Array): Uint8Array {
  const out = new Uint8Array(HEADER_BYTES + payload.length)
  out[0] = type
  out[1] = <u8>(payload.length & 0xff)
  out[2] = <u8>(payload.length >>> 8)
  out.set(payload, HEADER_BYTES)
  return out
}

export class FrameReader {
  // Grows to the frame being read, so an idle connection costs a few bytes, not a full frame.
  private buf: Uint8Array = new Uint8Array(HEADER_BYTES)
  private have: i32 = 0
  private need: i32 = HEADER_BYTES
  /** A frame declared a payload over the limit: the stream cannot be trusted any more. */
  tooLarge: bool = false

  constructor(private maxPayload: i32) {}

  /**
   * Take bytes from `data` starting at `off` until one frame is complete. Returns how many
   * bytes it took; `frame()` is non-null when a frame is complete.
   */
  take(data: Uint8Array, off: i32): i32 {
    const n = min(this.need - this.have, data.length - off)
    this.buf.set(data.subarray(off, off + n), this.have)
    this.have += n
    if (this.have == HEADER_BYTES && this.need == HEADER_BYTES) {
      const len = <i32>this.buf[1] | (<i32>this.buf[2] << 8)
      if (len > this.maxPayload) {
        this.tooLarge = true
      } else if (len > 0) {
        this.need = HEADER_BYTES + len
        if (this.buf.length < this.need) {
          const bigger = new Uint8Array(this.need)
          bigger.set(this.buf.subarray(0, HEADER_BYTES))
          this.buf = bigger
        }
      }
    }
    return n
  }

  /** The complete frame, if any; the reader then starts on the next one. */
  frame(): Frame | null {
    // A header with length 0 leaves `need` at HEADER_BYTES: that frame is complete too.
    if (this.tooLarge || this.have < this.need) return null
    const f = new Frame(this.buf[0], this.buf.slice(HEADER_BYTES, this.need))
    this.have = 0
    this.need = HEADER_BYTES
    return f
  }
}
