/**
 * Text that came from a manifest, a peer or a remote host is escaped before it reaches a
 * terminal, so it can neither move the cursor, recolour, clear or retitle the screen (C0 and C1
 * control characters, DEL: ESC, CSI, OSC...), nor fake a line of its own (CR, LF), nor reorder
 * what is shown (Unicode bidirectional overrides, "Trojan Source"). Each such character is shown
 * as its escape: ESC as `\x1b`, U+202E as `\u202e`. Everything else, including non-Latin text,
 * is left as it is. Apply to whole output lines (they never need a control character of their own).
 * A shared leaf: the CLI and the log's terminal lines both use it.
 */

// C0, DEL, C1; the bidi embeddings, overrides and isolates; line and paragraph separators
const UNSAFE = /[\u0000-\u001f\u007f-\u009f\u200e\u200f\u202a-\u202e\u2066-\u2069\u2028\u2029]/g

/** `s` with every control character escaped; unchanged when it has none. */
export function safeText(s: string): string {
  return s.replace(UNSAFE, (c) => {
    const n = c.charCodeAt(0)
    return n < 0x100 ? `\\x${n.toString(16).padStart(2, '0')}` : `\\u${n.toString(16).padStart(4, '0')}`
  })
}

/** Every line escaped, for formatters that build lines from untrusted fields. */
export function safeLines(lines: string[]): string[] {
  return lines.map(safeText)
}
