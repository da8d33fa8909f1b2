import { closeSync, fstatSync, openSync, readFileSync, readSync, statSync } from 'node:fs'
import { setTimeout as sleep } from 'node:timers/promises'
import { parseLine } from './format-line.ts'
import type { LogEntry } from './format-line.ts'
import { atLeast } from './levels.ts'
import type { Level } from './levels.ts'

/**
 * Reading the host's log as RotatingFile leaves it: `file` is the newest, `file.1` the one
 * before, and so on. `LogTail` reads what is there, then follows `file` by polling. When `file`
 * is another inode than the newest it has open, it opens the files rotated since (`file.k` ...
 * `file.1`, found by inode) and the new `file`, and reads them in order through their
 * descriptors, so a file rotated away, even deleted, is still read to its end. A file leaves the
 * queue only once it is not the live one and has not grown for a whole poll: the writer finishes
 * a rotated file through its own descriptor, a moment after the rename. So no line is lost or
 * repeated, however many rotations happen between two polls, unless more files than the writer
 * keeps rotate away before a poll sees them.
 */

export interface LogFilter {
  /** Only lines at or above this level. */
  level?: Level
  /** Only lines with this `app` field. */
  app?: string
}

/** Whether a parsed line passes `filter`; a line that is not JSON passes only an empty filter. */
export function matches(entry: LogEntry | null, filter: LogFilter): boolean {
  if (!entry) return filter.level === undefined && filter.app === undefined
  if (filter.level && !atLeast(entry.level, filter.level)) return false
  if (filter.app !== undefined && entry.app !== filter.app) return false
  return true
}

/** How many rotated files `logs` looks through at most. */
const MAX_ROTATED = 1000

interface Open {
  fd: number
  ino: number
  pos: number
  partial: string
  /** The poll at which it was first seen not to be the live file (Infinity while live). */
  rotatedAt: number
}

export class LogTail {
  /** Open files, oldest first; the last one is the live file, unless it was rotated since. */
  private readonly queue: Open[] = []
  private polls = 0
  private closed = false

  constructor(readonly file: string) {}

  /**
   * The last `n` lines that pass `filter` (raw JSON text, oldest first), from the live file and,
   * when it has too few, the rotated ones; following goes on from here.
   */
  last(n: number, filter: LogFilter): string[] {
    const found: string[][] = []
    let count = 0
    const take = (lines: string[]) => {
      const keep = lines.filter((l) => matches(parseLine(l), filter))
      found.unshift(keep.slice(Math.max(0, keep.length - (n - count))))
      count += found[0].length
    }
    const live = this.open(this.file)
    take(live ? this.read(live) : [])
    for (let i = 1; count < n && i <= MAX_ROTATED; i++) {
      const text = readWhole(`${this.file}.${i}`)
      if (text === null) break
      take(text.split('\n').filter(Boolean))
    }
    return found.flat()
  }

  /** Call `onLine` with every new line until `signal` aborts, looking every `pollMs`. */
  async follow(onLine: (line: string) => void, signal: AbortSignal, pollMs = 250): Promise<void> {
    while (!signal.aborted && !this.closed) {
      for (const line of this.poll()) onLine(line)
      try {
        await sleep(pollMs, undefined, { signal })
      } catch {
        break
      }
    }
    this.close()
  }

  /** New complete lines since the last call, across rotations. */
  poll(): string[] {
    const now = ++this.polls
    const liveIno = inodeOf(this.file)
    const newest = this.queue.at(-1)
    if (!newest) this.open(this.file)
    else if (liveIno !== null && liveIno !== newest.ino) {
      newest.rotatedAt = Math.min(newest.rotatedAt, now)
      const since: string[] = []
      for (let i = 1; i <= MAX_ROTATED; i++) {
        const ino = inodeOf(`${this.file}.${i}`)
        if (ino === null || ino === newest.ino) break
        since.unshift(`${this.file}.${i}`)
      }
      for (const f of since) {
        const o = this.open(f)
        if (o) o.rotatedAt = now
      }
      this.open(this.file)
    }
    const lines: string[] = []
    while (this.queue.length) {
      const head = this.queue[0]
      const got = this.read(head)
      lines.push(...got)
      // a rotated file that has not grown for a whole poll is complete: go on with the next
      if (this.queue.length === 1 || got.length > 0 || head.rotatedAt >= now) break
      if (head.partial) lines.push(head.partial)
      closeSync(head.fd)
      this.queue.shift()
    }
    return lines
  }

  /** Close the open files. Safe twice. */
  close(): void {
    this.closed = true
    for (const o of this.queue.splice(0)) closeSync(o.fd)
  }

  private open(file: string): Open | null {
    let fd: number
    try {
      fd = openSync(file, 'r')
    } catch {
      return null
    }
    const o: Open = { fd, ino: fstatSync(fd).ino, pos: 0, partial: '', rotatedAt: Infinity }
    this.queue.push(o)
    return o
  }

  private read(o: Open): string[] {
    const size = fstatSync(o.fd).size
    if (size < o.pos) o.pos = 0 // truncated by hand: start over
    if (size === o.pos) return []
    const buf = Buffer.alloc(size - o.pos)
    let got = 0
    while (got < buf.length) {
      const n = readSync(o.fd, buf, got, buf.length - got, o.pos + got)
      if (n === 0) break
      got += n
    }
    o.pos += got
    const text = o.partial + buf.subarray(0, got).toString('utf8')
    const cut = text.lastIndexOf('\n')
    o.partial = text.slice(cut + 1)
    return cut < 0 ? [] : text.slice(0, cut).split('\n').filter(Boolean)
  }
}

function inodeOf(file: string): number | null {
  try {
    return statSync(file).ino
  } catch {
    return null
  }
}

function readWhole(file: string): string | null {
  try {
    return readFileSync(file, 'utf8')
  } catch {
    return null
  }
}
