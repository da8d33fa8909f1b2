/**
 * A size as people write it: a number of bytes, optionally with K, M or G (powers of 1024) and
 * an optional `B` or `iB`, any case (`64M`, `64MiB`, `1.5g`). Shared by a flag and its
 * config.json field so both accept the same spellings and refuse the same values.
 */

/** Bytes `s` names, or NaN when it names none (not a size, or too big to be a finite number). Never throws. */
export function parseSize(s: string): number {
  const m = /^(\d+(?:\.\d+)?)\s*([kmg]?)(?:i?b)?$/i.exec(s.trim())
  if (!m) return NaN
  const n = Number(m[1]) * 1024 ** ' kmg'.indexOf((m[2] || ' ').toLowerCase())
  return Number.isFinite(n) ? Math.floor(n) : NaN
}

/** `n` bytes as the shortest whole K, M or G that says it (`20M`), for messages. */
export function formatSize(n: number): string {
  for (const [unit, k] of [
    ['G', 3],
    ['M', 2],
    ['K', 1]
  ] as const)
    if (n % 1024 ** k === 0) return `${n / 1024 ** k}${unit}`
  return String(n)
}
