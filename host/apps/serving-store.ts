import { readFileSync } from 'node:fs'
import { HypernetError } from '../errors.ts'
import { atomicWrite } from '../util/atomic-write.ts'
import { withLock } from '../store/index.ts'

/**
 * The operator's serving switches, in `<home>/serving.json`: `{ "version": 1, "enabled": bool,
 * "off": [app names] }`. Absent file: serving on for every app. The daemon reads it on each
 * request and for status (a few hundred bytes, read synchronously), so `serving off` takes
 * effect at once without a restart.
 */

export interface ServingConfig {
  enabled: boolean
  /** Apps (by name) the operator does not serve. */
  off: string[]
}

interface ServingFile extends ServingConfig {
  version: 1
}

const DEFAULT: ServingConfig = { enabled: true, off: [] }

export class ServingStore {
  constructor(readonly file: string) {}

  /** The current switches. @throws INTERNAL when the file is unreadable */
  read(): ServingConfig {
    let raw: string
    try {
      raw = readFileSync(this.file, 'utf8')
    } catch (err: any) {
      if (err.code === 'ENOENT') return { ...DEFAULT, off: [] }
      throw HypernetError.INTERNAL(`${this.file}: cannot read the serving settings (${err.message})`, err)
    }
    try {
      const f = JSON.parse(raw) as ServingFile
      if (f.version !== 1 || typeof f.enabled !== 'boolean' || !Array.isArray(f.off)) throw new Error('unknown version or shape')
      return { enabled: f.enabled, off: f.off.filter((x) => typeof x === 'string') }
    } catch (err) {
      throw HypernetError.INTERNAL(
        `${this.file}: the serving settings are unreadable (${(err as Error).message}); move the file aside to serve with defaults`,
        err
      )
    }
  }

  /**
   * Turn serving on or off, for every app (`app` absent) or one app.
   * @throws STORE_LOCKED, INTERNAL
   */
  async set(on: boolean, app?: string): Promise<ServingConfig> {
    return withLock(`${this.file}.lock`, async () => {
      const cur = this.read()
      const next: ServingConfig =
        app === undefined ? { ...cur, enabled: on } : { ...cur, off: on ? cur.off.filter((x) => x !== app) : [...new Set([...cur.off, app])].sort() }
      await atomicWrite(this.file, JSON.stringify({ version: 1, ...next }, null, 2) + '\n')
      return next
    })
  }
}
