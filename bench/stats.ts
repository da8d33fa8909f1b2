/** Small statistics and timing helpers shared by the rows. */

export function median(xs: number[]): number {
  return percentile(xs, 50)
}

/** Nearest-rank percentile; NaN for no samples. */
export function percentile(xs: number[], p: number): number {
  if (xs.length === 0) return NaN
  const s = [...xs].sort((a, b) => a - b)
  const rank = Math.ceil((p / 100) * s.length)
  return s[Math.min(s.length - 1, Math.max(0, rank - 1))]
}

export function now(): number {
  return performance.now()
}

export function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms))
}

/** Reject after `ms` with `what` in the message; the timer never keeps the process alive. */
export function withTimeout<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined
  const t = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what}: no result within ${ms} ms`)), ms)
    timer.unref()
  })
  return Promise.race([p, t]).finally(() => clearTimeout(timer))
}

/**
 * Run `a` and `b` once per round, alternating which goes first so drift on a shared machine
 * hits both alike; returns every sample of each.
 */
export async function paired<T>(rounds: number, a: () => Promise<T>, b: () => Promise<T>): Promise<{ a: T[]; b: T[] }> {
  const out = { a: [] as T[], b: [] as T[] }
  for (let r = 0; r < rounds; r++) {
    if (r % 2 === 0) {
      out.a.push(await a())
      out.b.push(await b())
    } else {
      out.b.push(await b())
      out.a.push(await a())
    }
  }
  return out
}

/**
 * Run each of `fns` once per round, starting round r at fns[r % n] and going round in order,
 * so drift on a shared machine hits all alike; returns every sample of each, by index.
 */
export async function rotated<T>(rounds: number, fns: Array<() => Promise<T>>): Promise<T[][]> {
  const out = fns.map(() => [] as T[])
  for (let r = 0; r < rounds; r++) {
    for (let i = 0; i < fns.length; i++) {
      const k = (r + i) % fns.length
      out[k].push(await fns[k]())
    }
  }
  return out
}

/** Median of per-round ratios a[i] / b[i] and differences a[i] - b[i] of paired rounds. */
export function pairedStats(a: number[], b: number[]): { ratio: number; overhead: number } {
  const n = Math.min(a.length, b.length)
  const idx = Array.from({ length: n }, (_, i) => i)
  return { ratio: median(idx.map((i) => a[i] / b[i])), overhead: median(idx.map((i) => a[i] - b[i])) }
}
