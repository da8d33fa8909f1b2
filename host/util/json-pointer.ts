/**
 * What schema errors quote: the value at a JSON pointer (`/services/1/port`), and that value
 * in a few words for a one-line error. Shared by the manifest and the config file checks.
 */

/** The value at `path` (a JSON pointer) in `root`, or undefined. */
export function valueAt(root: unknown, path: string): unknown {
  let v: any = root
  for (const part of path.split('/').slice(1)) {
    if (v === null || typeof v !== 'object') return undefined
    v = v[part.replace(/~1/g, '/').replace(/~0/g, '~')]
  }
  return v
}

/** A value as an error quotes it: scalars as JSON (cut at 60 characters), containers by kind. */
export function describeValue(v: unknown, arrayWord = 'an array'): string {
  if (v === undefined) return 'nothing'
  if (v === null) return 'null'
  if (Array.isArray(v)) return arrayWord
  if (typeof v === 'object') return 'an object'
  const s = JSON.stringify(v)
  return s.length > 60 ? s.slice(0, 57) + '..."' : s
}
