import { randomBytes, timingSafeEqual } from 'node:crypto'
import { HypernetError } from '../errors.ts'
import { atomicWrite } from '../util/atomic-write.ts'
import { readPrivateFile } from '../util/private-file.ts'

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
  const text = await readPrivateFile(file, { name: 'token', renew: `delete it and start again to make a new token (the page's URL changes)` })
  if (text === null) {
    const token = randomBytes(32).toString('hex')
    await atomicWrite(file, token + '\n', 0o600)
    return token
  }
  const raw = text.trim()
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
