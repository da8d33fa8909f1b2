import { open, rename, rm } from 'node:fs/promises'
import { randomBytes } from 'node:crypto'

/**
 * Write a file so that readers see either the old content or the new, never a mix: write a
 * sibling temporary file, fsync it, rename it over the target.
 */
export async function atomicWrite(file: string, data: string | Uint8Array, mode = 0o644): Promise<void> {
  const tmp = `${file}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`
  const fh = await open(tmp, 'w', mode)
  try {
    await fh.writeFile(data)
    await fh.sync()
  } catch (err) {
    await fh.close()
    await rm(tmp, { force: true })
    throw err
  }
  await fh.close()
  try {
    await rename(tmp, file)
  } catch (err) {
    await rm(tmp, { force: true })
    throw err
  }
}
