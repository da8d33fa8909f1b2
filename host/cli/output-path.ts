import { constants } from 'node:fs'
import { access, stat } from 'node:fs/promises'
import { dirname, resolve } from 'node:path'
import { HypernetError } from '../errors.ts'

/**
 * Check, before any work, that `file` (given by `flag`) can be written as a file: its folder
 * exists and is writable, and it is not itself a folder. Without this a command did its work
 * and then failed on the write with a raw errno (INTERNAL, exit 1).
 * @throws PATH_INVALID naming the flag and the path
 */
export async function checkOutputFile(file: string, flag: string): Promise<void> {
  const expected = 'a file path in an existing folder you can write to'
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
