import { open } from 'node:fs/promises'
import { HypernetError } from '../errors.ts'

/**
 * Read a secret kept in the home (a key file, the web token): its text, or null when it does not
 * exist. The mode checked is the one of the file opened, not of whatever the path names a
 * moment later.
 * @throws KEY_EXPOSED (naming `secret`, a key by default) when group or others may read or write it; any open error but ENOENT
 */
export async function readPrivateFile(file: string, secret?: { name: string; renew: string }): Promise<string | null> {
  let fh
  try {
    fh = await open(file, 'r')
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null
    throw err
  }
  try {
    const mode = (await fh.stat()).mode & 0o777
    if (process.platform !== 'win32' && (mode & 0o077) !== 0) throw HypernetError.KEY_EXPOSED(file, mode, secret)
    return await fh.readFile('utf8')
  } finally {
    await fh.close()
  }
}
