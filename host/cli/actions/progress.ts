import { formatBytes } from '../../audit/index.ts'
import type { CliContext } from '../context.ts'

/**
 * A one-line download progress bar on stderr, drawn only for a person at a terminal (never in
 * --json, -q, or a pipe), redrawn at most ten times a second.
 */
export function progressBar(ctx: CliContext): { update(got: number, total: number, vendor: string): void; clear(): void; done(): void } {
  const live = ctx.io.interactive && !ctx.json && !ctx.quiet
  let drawn = false
  let last = 0
  return {
    update(got, total, vendor) {
      if (!live) return
      const now = Date.now()
      if (got < total && now - last < 100) return
      last = now
      const width = 24
      const fill = Math.round((got / total) * width)
      ctx.io.stderr.write(
        `\r[${'#'.repeat(fill)}${'-'.repeat(width - fill)}] ${String(Math.floor((got / total) * 100)).padStart(3)}% ${formatBytes(got)} / ${formatBytes(total)} from ${vendor.slice(0, 12)}…`
      )
      drawn = true
    },
    clear() {
      if (drawn) ctx.io.stderr.write('\r\x1b[K')
      drawn = false
    },
    done() {
      this.clear()
    }
  }
}
