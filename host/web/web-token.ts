import { randomBytes, timingSafeEqual } from 'node:crypto'
import { open } from 'node:fs/promises'
import { HypernetError } from '../errors.ts'
import { atomicWrite } from '../util/atomic-write.ts'

/**
 * The web page's token: 32 random bytes as 64 hex characters in `<home>/web-token`, mode 0600, made
 * on first use and kept, so the page's URL stays the same across restarts. Whoever can read the
 * file can read the host's status; other local users cannot (the mode), and web pages cannot (they
 * never see the file, and the server takes the token only in a header: web-guard.ts).
 */

const TOKEN = /^[0-9a-f]{64}$/

/**
 * Read the token file, or make it when absent.
 * @throws KEY_EXPOSED when group or others may read or write it; CONFIG_INVALID when it holds anything but 64 hex characters
 */
export async function loadOrCreateWebToken(file: string): Promise<string> {
  let fh
  try {
    fh = await open(file, 'r')
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err
    const token = randomBytes(32).toString('hex')
    await atomicWrite(file, token + '\n', 0o600)
    return token
  }
  let raw: string
  try {
    // the mode of the file opened, not of whatever the path names a moment later
    const mode = (await fh.stat()).mode & 0o777
    if (process.platform !== 'win32' && (mode & 0o077) !== 0) throw HypernetError.KEY_EXPOSED(file, mode)
    raw = (await fh.readFile('utf8')).trim()
  } finally {
    await fh.close()
  }
  if (!TOKEN.test(raw))
    throw HypernetError.CONFIG_INVALID(
      file,
      '',
      `expected the web page token, 64 hex characters, got ${raw.length} characters (delete the file to make a new token)`
    )
  return raw
}

/** Compare a presented token with the real one in constant time. */
export function tokenMatches(presented: string, token: string): boolean {
  const a = Buffer.from(presented)
  const b = Buffer.from(token)
  return a.length === b.length && timingSafeEqual(a, b)
}
