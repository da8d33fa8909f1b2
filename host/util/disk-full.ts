import { HypernetError } from '../errors.ts'

/** Whether `err` is the filesystem saying it has no space or quota left. */
export function isDiskFull(err: unknown): boolean {
  const code = (err as { code?: unknown } | null)?.code
  return code === 'ENOSPC' || code === 'EDQUOT'
}

/**
 * Run `fn`; a filesystem out of space becomes DISK_FULL naming `path` and what needed the room,
 * anything else passes through. The caller is the one that knows nothing was left half-done.
 */
export async function orDiskFull<T>(path: string, what: string, fn: () => Promise<T>): Promise<T> {
  try {
    return await fn()
  } catch (err) {
    if (isDiskFull(err)) throw HypernetError.DISK_FULL(path, what, err)
    throw err
  }
}
