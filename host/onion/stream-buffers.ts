/**
 * What a HyperDHT stream holds that a relay filled: bytes it was asked to write and has not
 * handed to the network. streamx (NoiseSecretStream and its UDX stream are streamx Duplexes)
 * keeps no public counter for it, so this reads its writable state; a Node stream has
 * `writableLength`. UDX's own native queue is not visible here, but it is bounded: its write
 * answers `false` past its high-water mark and the relay waits for `drain`.
 */

interface Buffered {
  writableLength?: number
  _writableState?: { buffered?: number } | null
  rawStream?: unknown
}

/** Bytes written to `stream` (and to the raw stream under it) and not yet sent. Never throws. */
export function writeBuffered(stream: unknown): number {
  const s = stream as Buffered | null
  if (!s) return 0
  let n = s.writableLength ?? s._writableState?.buffered ?? 0
  const raw = s.rawStream as Buffered | null | undefined
  if (raw) n += raw.writableLength ?? raw._writableState?.buffered ?? 0
  return n
}
