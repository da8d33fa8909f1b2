import { mkdir, readFile, rm, stat, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import { HypernetError } from '../errors.ts'

/**
 * A cross-process lock: a directory created with mkdir (atomic on every filesystem), holding
 * the owner's pid. A lock whose owner is dead is broken at once; one held past `staleMs` is
 * presumed abandoned (an owner never holds it across anything slower than a rename).
 */

export interface LockOptions {
  waitMs?: number
  staleMs?: number
}

/**
 * Run `fn` while holding the lock at `lockDir`.
 * @throws STORE_LOCKED when the lock cannot be taken within `waitMs`
 */
export async function withLock<T>(lockDir: string, fn: () => Promise<T>, opts: LockOptions = {}): Promise<T> {
  const waitMs = opts.waitMs ?? 15_000
  const staleMs = opts.staleMs ?? 30_000
  const deadline = Date.now() + waitMs
  for (let delay = 5; ; delay = Math.min(delay * 2, 100)) {
    try {
      await mkdir(lockDir)
      break
    } catch (err: any) {
      if (err.code !== 'EEXIST') throw err
      if (await isAbandoned(lockDir, staleMs)) {
        await rm(lockDir, { recursive: true, force: true })
        continue
      }
      if (Date.now() > deadline) throw HypernetError.STORE_LOCKED(lockDir)
      await sleep(delay)
    }
  }
  try {
    await writeFile(join(lockDir, 'owner'), String(process.pid))
    return await fn()
  } finally {
    await rm(lockDir, { recursive: true, force: true })
  }
}

async function isAbandoned(lockDir: string, staleMs: number): Promise<boolean> {
  try {
    const st = await stat(lockDir)
    if (Date.now() - st.mtimeMs > staleMs) return true
    const pid = Number(await readFile(join(lockDir, 'owner'), 'utf8'))
    if (!Number.isInteger(pid) || pid <= 0) return false
    if (pid === process.pid) return false
    try {
      process.kill(pid, 0)
      return false
    } catch (err: any) {
      return err.code === 'ESRCH'
    }
  } catch {
    // the owner file is not written yet, or the lock vanished: not abandoned, retry
    return false
  }
}
