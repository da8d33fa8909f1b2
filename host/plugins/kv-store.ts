import { createHash } from 'node:crypto'
import { closeSync, fsyncSync, openSync, readdirSync, readFileSync, renameSync, rmSync, statSync, writeSync } from 'node:fs'
import { join } from 'node:path'
import { makeDirsSync } from '../util/make-dirs.ts'

/**
 * One app's persistent key-value area: a folder with one file per key, named by SHA-256 of the
 * key (keys are bytes, up to 256 of them, so they cannot be file names). A file holds
 * [u16 key length][key][value]. Writes go to a temporary file that is fsynced and renamed over
 * the old one, so a crash (or a terminated worker) leaves the old value or the new, never a
 * mix. Usage counts key and value bytes; a put that would pass the quota is refused.
 *
 * Synchronous on purpose: it runs inside the plugin's worker, called from sync host functions.
 * Only one worker per app runs at a time (a crashed one is terminated before its successor
 * starts), so there is exactly one writer.
 */

export interface KvStore {
  readonly usedBytes: number
  readonly quotaBytes: number
  get(key: Uint8Array): Buffer | null
  /** False when the put would pass the quota (nothing is written). */
  put(key: Uint8Array, value: Uint8Array): boolean
  /** False when the key is absent. */
  delete(key: Uint8Array): boolean
}

const SUFFIX = '.kv'

/** Open (creating if needed) the store in `dir`. Throws the fs error when the folder is unusable. */
export function openKvStore(dir: string, quotaBytes: number): KvStore {
  makeDirsSync(dir, 0o700)
  const sizes = new Map<string, number>() // file name -> key + value bytes
  let used = 0
  for (const name of readdirSync(dir)) {
    // a worker terminated mid-write leaves its temporary file behind
    if (name.endsWith('.tmp')) rmSync(join(dir, name), { force: true })
    else if (name.endsWith(SUFFIX)) {
      const n = Math.max(0, statSync(join(dir, name)).size - 2)
      sizes.set(name, n)
      used += n
    }
  }

  const fileOf = (key: Uint8Array): string => createHash('sha256').update(key).digest('hex') + SUFFIX

  return {
    get usedBytes() {
      return used
    },
    quotaBytes,
    get(key) {
      const name = fileOf(key)
      if (!sizes.has(name)) return null
      const data = readFileSync(join(dir, name))
      const klen = data.readUInt16LE(0)
      return data.subarray(2 + klen)
    },
    put(key, value) {
      const name = fileOf(key)
      const before = sizes.get(name) ?? 0
      const after = key.byteLength + value.byteLength
      if (used - before + after > quotaBytes) return false
      const head = Buffer.alloc(2)
      head.writeUInt16LE(key.byteLength, 0)
      const file = join(dir, name)
      const tmp = file + '.tmp'
      const fd = openSync(tmp, 'w', 0o600)
      try {
        writeAll(fd, head)
        writeAll(fd, key)
        writeAll(fd, value)
        fsyncSync(fd)
      } finally {
        closeSync(fd)
      }
      renameSync(tmp, file)
      sizes.set(name, after)
      used += after - before
      return true
    },
    delete(key) {
      const name = fileOf(key)
      const size = sizes.get(name)
      if (size === undefined) return false
      rmSync(join(dir, name), { force: true })
      sizes.delete(name)
      used -= size
      return true
    }
  }
}

function writeAll(fd: number, bytes: Uint8Array): void {
  let off = 0
  while (off < bytes.byteLength) off += writeSync(fd, bytes, off, bytes.byteLength - off)
}

/** A folder name for an app: its name when that is a safe path segment, else a hash of it. */
export function appDirName(app: string): string {
  if (/^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/.test(app) && !app.includes('..')) return app
  return 'app-' + createHash('sha256').update(app).digest('hex').slice(0, 32)
}
