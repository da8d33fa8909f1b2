import { readFile, stat } from 'node:fs/promises'
import { basename, dirname, join } from 'node:path'
import { LIMITS } from '../constants.ts'
import { HypernetError } from '../errors.ts'
import { validateDraft, validateManifest } from './validate.ts'
import type { Manifest } from './types.ts'

/** `app.wasm` -> `app.manifest.json` beside it: where `sign` writes and `audit` looks. */
export function manifestPathFor(wasmFile: string): string {
  const base = basename(wasmFile).replace(/\.wasm$/i, '')
  return join(dirname(wasmFile), `${base}.manifest.json`)
}

/** `app.manifest.json` -> `app.wasm` beside it. */
export function wasmPathFor(manifestFile: string): string {
  const base = basename(manifestFile).replace(/(\.manifest)?\.json$/i, '')
  return join(dirname(manifestFile), `${base}.wasm`)
}

/**
 * Read and parse a JSON file, bounded in size.
 * @throws FILE_NOT_FOUND, MANIFEST_NOT_JSON
 */
export async function readJsonFile(file: string, what = 'manifest'): Promise<unknown> {
  const bytes = await readBounded(file, LIMITS.maxManifestBytes, what)
  try {
    return JSON.parse(bytes.toString('utf8'))
  } catch (err) {
    throw HypernetError.MANIFEST_NOT_JSON(file, err)
  }
}

/**
 * Read a signed manifest and check it against the schema (not the signature).
 * @throws FILE_NOT_FOUND, MANIFEST_NOT_JSON, MANIFEST_INVALID (message starts with the file)
 */
export async function readManifestFile(file: string): Promise<Manifest> {
  const json = await readJsonFile(file)
  try {
    return validateManifest(json)
  } catch (err) {
    throw prefixFile(err, file)
  }
}

/**
 * Check a manifest that arrived parsed (from a peer) against the schema, as a file's would be;
 * `label` says where it came from in errors.
 * @throws MANIFEST_INVALID
 */
export function manifestFromValue(value: unknown, label: string): Manifest {
  try {
    return validateManifest(value)
  } catch (err) {
    throw prefixFile(err, label)
  }
}

/**
 * Read a draft manifest (code hash, publisher and signature may be missing).
 * @throws FILE_NOT_FOUND, MANIFEST_NOT_JSON, MANIFEST_INVALID
 */
export async function readDraftFile(file: string): Promise<Record<string, any>> {
  const json = await readJsonFile(file, 'draft manifest')
  try {
    validateDraft(json)
  } catch (err) {
    throw prefixFile(err, file)
  }
  return json as Record<string, any>
}

/**
 * Read a file, refusing one larger than `max` bytes before reading it.
 * @throws FILE_NOT_FOUND; WASM_INVALID/MANIFEST_INVALID-style USAGE when too large
 */
export async function readBounded(file: string, max: number, what: string): Promise<Buffer> {
  let size: number
  try {
    const st = await stat(file)
    if (!st.isFile()) throw HypernetError.USAGE(`${file}: expected a ${what} file, got a directory or special file`)
    size = st.size
  } catch (err: any) {
    if (err?.code === 'ENOENT') throw HypernetError.FILE_NOT_FOUND(file, what)
    throw err
  }
  if (size > max) throw HypernetError.USAGE(`${file}: ${what} is ${size} bytes, more than the ${max} this host accepts`)
  return readFile(file)
}

function prefixFile(err: unknown, file: string): unknown {
  if (err instanceof HypernetError && err.code === 'MANIFEST_INVALID') {
    return HypernetError.MANIFEST_INVALID(`${file}#${(err.details?.path as string) || '/'}`, err.message.replace(/^MANIFEST_INVALID: [^ ]*: /, ''))
  }
  return err
}
