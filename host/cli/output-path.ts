import { constants } from 'node:fs'
import { access, lstat, stat } from 'node:fs/promises'
import { dirname, resolve } from 'node:path'
import { HypernetError } from '../errors.ts'

/**
 * Check, before any work, that `file` (given by `flag`) can be written as a file: its folder
 * exists and is writable, and it is not a folder, a link or a device. Without this a command did its work
 * and then failed on the write with a raw errno (INTERNAL, exit 1).
 * @throws PATH_INVALID naming the flag and the path
 */
export async function checkOutputFile(file: string, flag: string): Promise<void> {
  const expected = 'a file path in an existing folder you can write to'
  if (file === '') throw HypernetError.PATH_INVALID(flag, '""', expected, 'got nothing')
  // the write is atomic (a temporary file renamed over the path): it would replace a link, or a
  // device such as /dev/null (as root, with a regular file), rather than write through it
  const special = await specialKind(file)
  if (special) throw HypernetError.PATH_INVALID(flag, file, expected, `got ${special}`)
  if ((await kindOf(file)) === 'folder') throw HypernetError.PATH_INVALID(flag, file, expected, 'got a folder')
  const dir = dirname(resolve(file))
  const parent = await kindOf(dir)
  if (parent === 'file') throw HypernetError.PATH_INVALID(flag, file, expected, `${dir} is a file, not a folder`)
  if (parent !== 'folder') throw HypernetError.PATH_INVALID(flag, file, expected, `${dir} does not exist`)
  if (!(await writable(dir))) throw HypernetError.PATH_INVALID(flag, file, expected, `${dir} is not writable`)
}

/**
 * Check that `dir` (given by `flag`) can be a folder: it is one, or the nearest part of it that
 * exists is a writable folder (the rest is created).
 * @throws PATH_INVALID naming the flag and the path
 */
export async function checkOutputDir(dir: string, flag: string): Promise<void> {
  const expected = 'a folder, or a path a folder can be made at'
  let at = resolve(dir)
  for (;;) {
    const kind = await kindOf(at)
    if (kind === 'folder') break
    if (kind === 'file') throw HypernetError.PATH_INVALID(flag, dir, expected, `${at} is a file, not a folder`)
    if (dirname(at) === at) break
    at = dirname(at)
  }
  if (!(await writable(at))) throw HypernetError.PATH_INVALID(flag, dir, expected, `${at} is not writable`)
}

/** What a path that exists is when it is neither a regular file nor a folder; null otherwise. */
async function specialKind(path: string): Promise<string | null> {
  let s
  try {
    s = await lstat(path)
  } catch {
    return null
  }
  if (s.isSymbolicLink()) return 'a symbolic link (give the path it points to)'
  if (s.isFile() || s.isDirectory()) return null
  return 'a device, pipe or socket'
}

async function kindOf(path: string): Promise<'missing' | 'folder' | 'file' | 'other'> {
  try {
    return (await stat(path)).isDirectory() ? 'folder' : 'file'
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code
    // ENOTDIR: a part of the path is a file (/dev/null/x): it is not there, nor can it be
    return code === 'ENOENT' ? 'missing' : 'other'
  }
}

async function writable(dir: string): Promise<boolean> {
  return access(dir, constants.W_OK).then(
    () => true,
    () => false
  )
}
