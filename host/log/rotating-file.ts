import { fstatSync, openSync, renameSync, rmSync } from 'node:fs'
import { dirname } from 'node:path'
import pino from 'pino'
import { makeDirsSync } from '../util/make-dirs.ts'

/**
 * A log file rotated by size, the classic way: when the next line would take `file` past
 * `maxBytes`, host.log.<files-1> becomes host.log.<files> (the oldest is overwritten), ...,
 * host.log becomes host.log.1, and a new host.log is started. So the files never hold more than
 * maxBytes x (files + 1) (a single line longer than maxBytes is the one exception: it gets a
 * file of its own). The live file keeps its name, so `tail -F` and `logs --follow` work.
 *
 * Writes go through pino's own destination (SonicBoom) with `sync: false`: lines are batched
 * and written by the thread pool, never blocking the event loop, and pino flushes them
 * synchronously on process exit, a crash included. Rotation is in-process renames between two
 * lines: the stream of the old file finishes its pending writes into the renamed file and
 * closes. No worker thread (pino-roll's transport) means nothing to wait for at shutdown but
 * close(), and pino-roll's `host.N.log` naming moves the live file on every roll.
 */

type Destination = ReturnType<typeof pino.destination>

export interface RotatingFileInit {
  file: string
  /** Rotate before a line would take the file past this many bytes. */
  maxBytes: number
  /** Rotated files kept (host.log.1 ... host.log.<files>); 0 keeps only the live file. */
  files: number
}

export class RotatingFile {
  /** Rotations since this object was made. */
  rotations = 0
  /** Writes that failed (a full disk, say): lines lost rather than the host taken down. */
  errors = 0
  private stream: Destination | null = null
  private size = 0
  private readonly ending = new Set<Promise<void>>()
  private closing: Promise<void> | null = null

  constructor(readonly init: RotatingFileInit) {}

  /** Append one line (a string ending in a newline); dropped once closed. */
  write(line: string): boolean {
    if (this.closing) return true
    const len = Buffer.byteLength(line)
    try {
      if (!this.stream) this.open()
      if (this.size > 0 && this.size + len > this.init.maxBytes) this.rotate()
      this.size += len
      return this.stream!.write(line)
    } catch {
      // a full disk or a removed folder must not take the host down with it
      this.errors++
      return true
    }
  }

  /** Write what is pending now, synchronously (fatal paths; pino also does it on exit). */
  flushSync(): void {
    try {
      // the descriptor is open from the start (openSync), so SonicBoom is always ready to flush
      this.stream?.flushSync()
    } catch {
      this.errors++
    }
  }

  /** Nothing to wait for: the file opens on the first line. */
  async ready(): Promise<void> {}

  /** Write what is pending and close the file. Safe twice. */
  close(): Promise<void> {
    this.closing ??= (async () => {
      if (this.stream) this.end(this.stream)
      this.stream = null
      await Promise.all([...this.ending])
    })()
    return this.closing
  }

  private open(): void {
    const { file } = this.init
    makeDirsSync(dirname(file))
    const fd = openSync(file, 'a')
    this.size = fstatSync(fd).size
    const stream = pino.destination({ dest: fd, sync: false })
    stream.on('error', () => this.errors++)
    this.stream = stream
  }

  private rotate(): void {
    const { file, files } = this.init
    if (files === 0) rmSync(file, { force: true })
    for (let i = files; i >= 1; i--) {
      try {
        renameSync(i === 1 ? file : `${file}.${i - 1}`, `${file}.${i}`)
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err
      }
    }
    // the old stream's pending lines land in the renamed file: its descriptor followed it
    if (this.stream) this.end(this.stream)
    this.stream = null
    this.rotations++
    this.open()
  }

  private end(stream: Destination): void {
    const done = new Promise<void>((resolve) => {
      stream.once('close', () => resolve())
      stream.once('error', () => resolve())
    })
    this.ending.add(done)
    void done.then(() => this.ending.delete(done))
    try {
      stream.end()
    } catch {
      this.ending.delete(done)
    }
  }
}
