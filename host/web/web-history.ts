/**
 * What the page's graphs draw: one sample every SAMPLE_MS for the last hour, kept in the daemon
 * so a page opened late still sees the hour. Bytes are per interval (the totals' growth since the
 * sample before; a total that shrank, when an app was removed, counts as 0).
 */

export const HISTORY_SAMPLE_MS = 10_000
export const HISTORY_SAMPLES = 360

export interface HistorySample {
  /** When, in ms since the epoch. */
  t: number
  /** Connections open at that moment. */
  connections: number
  /** Bytes received and sent since the sample before. */
  bytesIn: number
  bytesOut: number
}

export interface HistoryTotals {
  connections: number
  bytesIn: number
  bytesOut: number
}

export class WebHistory {
  private readonly ring: HistorySample[] = []
  private last: HistoryTotals | null = null

  constructor(private readonly size = HISTORY_SAMPLES) {}

  /** Record the totals now; returns the sample kept. */
  add(totals: HistoryTotals, t = Date.now()): HistorySample {
    const prev = this.last ?? totals
    const s = {
      t,
      connections: totals.connections,
      bytesIn: Math.max(0, totals.bytesIn - prev.bytesIn),
      bytesOut: Math.max(0, totals.bytesOut - prev.bytesOut)
    }
    this.last = totals
    this.ring.push(s)
    if (this.ring.length > this.size) this.ring.shift()
    return s
  }

  /** The samples kept, oldest first. */
  samples(): HistorySample[] {
    return [...this.ring]
  }
}
