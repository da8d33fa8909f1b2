import { readFile } from 'node:fs/promises'
import { HypernetError } from '../errors.ts'

/**
 * Read one of the home's small JSON files (trust lists, firewall, bridges): `empty()` when it
 * does not exist yet; otherwise `parse` turns the parsed JSON into T and throws for a version
 * or shape it does not know.
 * @throws INTERNAL naming the file and `what` when it cannot be parsed, or any read error but ENOENT
 */
export async function readJsonFile<T>(file: string, what: string, empty: () => T, parse: (f: any) => T): Promise<T> {
  let raw: string
  try {
    raw = await readFile(file, 'utf8')
  } catch (err: any) {
    if (err.code === 'ENOENT') return empty()
    throw err
  }
  try {
    return parse(JSON.parse(raw))
  } catch (err) {
    throw HypernetError.INTERNAL(`${file}: the ${what} is unreadable (${(err as Error).message})`, err)
  }
}
