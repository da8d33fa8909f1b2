import { HypernetError } from '../errors.ts'

/**
 * yargs turns a number flag's text that is not a number (`--lines abc`) into NaN, and the
 * text is gone by the time a handler checks the flag ("got NaN"). Checked once here, for every
 * command, before any handler runs: the error names the flag and quotes what was typed.
 * @throws USAGE for a number flag given text that is not a number
 */
export function checkNumberFlags(argv: string[], parsed: Record<string, unknown>, aliases: Record<string, string[]> = {}, numbers: string[] = []): void {
  // a number flag with nothing after it (`logs --lines`, `--lines --follow`) is left unset by
  // yargs, so the default would run in its place; an empty one (`--lines=`, `--lines ''`)
  // becomes 0 (`--idle-stop=` meant "always running"). Every time the flag is given.
  for (const key of numbers) {
    if (key.length < 2 || /[A-Z]/.test(key)) continue
    const names = [key, ...(aliases[key] ?? [])].map((n) => (n.length === 1 ? `-${n}` : `--${n}`))
    argv.forEach((a, i) => {
      const next = argv[i + 1]
      const empty =
        names.some((n) => a === `${n}=`) ||
        (names.includes(a) && (next === undefined || next.trim() === '' || (next.startsWith('-') && Number.isNaN(Number(next)))))
      if (empty) throw HypernetError.USAGE(`--${key}: expected a number, got nothing`)
    })
  }
  for (const [key, value] of Object.entries(parsed)) {
    const values = Array.isArray(value) ? value : [value]
    if (key.length < 2 || /[A-Z]/.test(key) || !values.some((v) => typeof v === 'number' && Number.isNaN(v))) continue
    const names = [key, ...(aliases[key] ?? [])].map((n) => (n.length === 1 ? `-${n}` : `--${n}`))
    throw HypernetError.USAGE(`--${key}: expected a number, got ${typed(argv, names)}`)
  }
}

/** What was typed after the flag (the last time it was given), quoted; "nothing" if it ends the line. */
function typed(argv: string[], names: string[]): string {
  for (let i = argv.length - 1; i >= 0; i--) {
    const a = argv[i]
    for (const n of names) {
      if (a.startsWith(n + '=')) return JSON.stringify(a.slice(n.length + 1))
      if (a === n) return i + 1 < argv.length ? JSON.stringify(argv[i + 1]) : 'nothing'
    }
  }
  return 'nothing'
}

/**
 * A `--timeout` in seconds, checked before any work: a positive number.
 * @throws USAGE for zero, a negative number or NaN
 */
export function timeoutMs(seconds: number | undefined, fallback: number, flag = '--timeout'): number {
  const s = seconds ?? fallback
  if (!(s > 0) || !Number.isFinite(s)) throw HypernetError.USAGE(`${flag}: expected a positive number of seconds, got ${s}`)
  return s * 1000
}
