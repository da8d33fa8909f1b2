import { dirname, join, resolve } from 'node:path'
import { HypernetError } from '../errors.ts'

/**
 * The store index (`store/index.json`) is checked whole when read, before anything acts on it:
 * a name or hash in it becomes a path under `store/apps/` that uninstall and the sweep delete,
 * so a crafted entry (a codeHash of `../../victim`) must never reach `rm`. Rules, each refused
 * with STORE_INDEX_INVALID naming the entry and field:
 * - `version` is 1; `apps` an object whose keys are the entries' own `name`s;
 * - `name` is an app name (`^[a-z0-9][a-z0-9-]{0,63}$`, as in the manifest schema);
 * - `codeHash` and `publisher` are 64 lowercase hex characters;
 * - `folder`, when present, is `<codeHash>-<name>`, that with `.<6 hex>` (a renewed manifest for the same code), or `<codeHash>` (stores made before per-name folders);
 * - `version` and `installedAt` are strings, `enabled` a boolean;
 * - `pins`, when present, maps app names to 64 lowercase hex characters.
 */

export interface InstalledApp {
  name: string
  version: string
  codeHash: string
  publisher: string
  enabled: boolean
  installedAt: string
  /** Its folder under apps/: `<code hash>-<name>` (stores made before had `<code hash>`, shared by names with the same code). */
  folder?: string
}

export interface IndexFile {
  version: 1
  apps: Record<string, InstalledApp>
  /** App name -> the publisher (hex) its first install pinned; absent in stores made before pins. */
  pins?: Record<string, string>
}

const APP_NAME = /^[a-z0-9][a-z0-9-]{0,63}$/
const HEX64 = /^[0-9a-f]{64}$/

/**
 * Check a parsed index file.
 * @throws STORE_INDEX_INVALID naming the first bad field
 */
export function checkIndex(file: string, v: unknown): IndexFile {
  const bad = (field: string, expected: string, got: unknown) => HypernetError.STORE_INDEX_INVALID(file, field, expected, got)
  if (!isObject(v)) throw bad('', 'a JSON object { version, apps, pins }', v)
  if (v.version !== 1) throw bad('version', '1', v.version)
  if (!isObject(v.apps)) throw bad('apps', 'an object of app name -> app', v.apps)
  for (const [key, a] of Object.entries(v.apps)) {
    const at = `apps[${JSON.stringify(key)}]`
    if (!isObject(a)) throw bad(at, 'an object', a)
    if (typeof a.name !== 'string' || !APP_NAME.test(a.name)) throw bad(`${at}.name`, 'an app name (lowercase letters, digits and dashes, at most 64)', a.name)
    if (a.name !== key) throw bad(`${at}.name`, `the entry's own key ${JSON.stringify(key)}`, a.name)
    if (typeof a.codeHash !== 'string' || !HEX64.test(a.codeHash)) throw bad(`${at}.codeHash`, '64 lowercase hex characters', a.codeHash)
    if (typeof a.publisher !== 'string' || !HEX64.test(a.publisher)) throw bad(`${at}.publisher`, '64 lowercase hex characters', a.publisher)
    if (
      a.folder !== undefined &&
      a.folder !== `${a.codeHash}-${a.name}` &&
      a.folder !== a.codeHash &&
      !(
        typeof a.folder === 'string' &&
        a.folder.startsWith(`${a.codeHash}-${a.name}.`) &&
        /^[0-9a-f]{6}$/.test(a.folder.slice(a.codeHash.length + a.name.length + 2))
      )
    ) {
      throw bad(`${at}.folder`, `"<codeHash>-<name>[.<6 hex>]" or "<codeHash>" (${a.codeHash.slice(0, 8)}…-${a.name})`, a.folder)
    }
    if (typeof a.version !== 'string') throw bad(`${at}.version`, 'a version string', a.version)
    if (typeof a.enabled !== 'boolean') throw bad(`${at}.enabled`, 'true or false', a.enabled)
    if (typeof a.installedAt !== 'string') throw bad(`${at}.installedAt`, 'a date string', a.installedAt)
  }
  if (v.pins !== undefined) {
    if (!isObject(v.pins)) throw bad('pins', 'an object of app name -> publisher', v.pins)
    for (const [name, key] of Object.entries(v.pins)) {
      if (!APP_NAME.test(name)) throw bad(`pins[${JSON.stringify(name)}]`, 'an app name as key', name)
      if (typeof key !== 'string' || !HEX64.test(key)) throw bad(`pins[${JSON.stringify(name)}]`, '64 lowercase hex characters', key)
    }
  }
  return v as unknown as IndexFile
}

/**
 * The folder of an app under `appsDir`, proven to be a direct child of it whatever the index
 * said (a second lock on the same door as checkIndex).
 * @throws STORE_INDEX_INVALID when it would be anywhere else
 */
export function appFolder(appsDir: string, folder: string, file: string): string {
  const p = join(appsDir, folder)
  if (resolve(dirname(p)) !== resolve(appsDir) || folder === '' || folder === '.' || folder === '..') {
    throw HypernetError.STORE_INDEX_INVALID(file, 'folder', 'a folder directly inside store/apps', folder)
  }
  return p
}

function isObject(v: unknown): v is Record<string, unknown> {
  return v !== null && typeof v === 'object' && !Array.isArray(v)
}
