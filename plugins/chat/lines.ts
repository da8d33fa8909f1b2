/** Splits a byte stream into "\n"-terminated lines, holding at most MAX_LINE_BYTES of a partial line. */

/** Longest line, "\n" included. A longer one means the peer is not speaking the protocol. */
export const MAX_LINE_BYTES: i32 = 4096

export class LineReader {
  // Only a line split across chunks is copied here; most lines are sliced straight out.
  private partial: Uint8Array = new Uint8Array(0)
  /** A line ran past MAX_LINE_BYTES; nothing more can be read. */
  overflowed: bool = false

  /** The lines `data` completes, each ending in "\n". */
  feed(data: Uint8Array): Uint8Array[] {
    const lines: Uint8Array[] = []
    let start = 0
    while (start < data.length && !this.overflowed) {
      const nl = data.indexOf(0x0a, start)
      const end = nl < 0 ? data.length : nl + 1
      const size = this.partial.length + end - start
      if (size > MAX_LINE_BYTES) {
        this.overflowed = true
        break
      }
      let line = data.subarray(start, end)
      if (this.partial.length > 0) {
        const joined = new Uint8Array(size)
        joined.set(this.partial)
        joined.set(line, this.partial.length)
        line = joined
        this.partial = new Uint8Array(0)
      } else {
        // Copy: `data` is the SDK's inbox, rewritten by the next event.
        line = line.slice()
      }
      if (nl < 0) this.partial = line
      else lines.push(line)
      start = end
    }
    return lines
  }
}
