import { execFile } from 'node:child_process'
import { closeSync, ftruncateSync, fstatSync, openSync, writeSync } from 'node:fs'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { promisify } from 'node:util'

const run = promisify(execFile)

/** A small tmpfs mounted for one test: a disk that can be filled for real. */
export interface SmallDisk {
  dir: string
  /** Fill the disk until `leave` bytes are free (rounded to its pages). */
  fill(leave?: number): void
  /** Free what `fill` took. */
  free(): void
  unmount(): Promise<void>
}

/**
 * Mount a tmpfs of `size` (e.g. '2m') on a fresh folder; needs root. Returns the reason as a
 * string when mounting is impossible here, so the test can skip with it.
 */
export async function mountSmallDisk(size = '2m'): Promise<SmallDisk | string> {
  if (process.platform !== 'linux') return `tmpfs needs Linux, this is ${process.platform}`
  if (process.getuid?.() !== 0) return 'mounting a tmpfs needs root'
  const dir = await mkdtemp(join(tmpdir(), 'hn-disk-'))
  try {
    await run('mount', ['-t', 'tmpfs', '-o', `size=${size}`, 'tmpfs', dir])
  } catch (err) {
    await rm(dir, { recursive: true, force: true })
    return `mount -t tmpfs failed: ${((err as { stderr?: string }).stderr || (err as Error).message).trim()}`
  }
  const filler = join(dir, 'filler')
  let fd: number | null = null
  return {
    dir,
    fill(leave = 0) {
      fd ??= openSync(filler, 'a')
      const chunk = Buffer.alloc(64 * 1024, 1)
      for (let n = chunk.length; n >= 1;) {
        try {
          writeSync(fd, chunk, 0, n)
        } catch (err) {
          if ((err as { code?: string }).code !== 'ENOSPC') throw err
          n = n >> 1
        }
      }
      if (leave > 0) ftruncateSync(fd, Math.max(0, fstatSync(fd).size - leave))
    },
    free() {
      if (fd !== null) ftruncateSync(fd, 0)
    },
    async unmount() {
      if (fd !== null) closeSync(fd)
      fd = null
      await run('umount', [dir]).catch(() => run('umount', ['-l', dir]))
      await rm(dir, { recursive: true, force: true })
    }
  }
}
