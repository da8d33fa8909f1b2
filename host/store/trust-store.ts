import { readJsonFile } from '../util/json-file.ts'
import { dirname } from 'node:path'
import { HypernetError } from '../errors.ts'
import { formatId, parseKey } from '../encoding/ids.ts'
import { atomicWrite } from '../util/atomic-write.ts'
import { withLock } from './lock.ts'
import { makeDirs } from '../util/make-dirs.ts'

/**
 * Publisher keys this host trusts: apps they sign install without a consent prompt (they are
 * still verified in full). Kept in `<home>/trust.json`: `{ "version": 1, "publishers":
 * [{ "key": hex, "label"?: string, "addedAt": iso }] }`.
 */

export interface TrustedPublisher {
  key: string
  label?: string
  addedAt: string
  /** The daemon takes this publisher's upgrades on its own when they add no permission. */
  autoUpgrade?: boolean
}

interface TrustFile {
  version: 1
  publishers: TrustedPublisher[]
}

export class TrustStore {
  constructor(readonly file: string) {}

  async ready(): Promise<void> {
    await makeDirs(dirname(this.file))
  }

  async close(): Promise<void> {}

  /** Every trusted publisher. */
  async list(): Promise<TrustedPublisher[]> {
    return (await this.read()).publishers
  }

  /** The trusted keys as a set of hex strings. */
  async keys(): Promise<Set<string>> {
    return new Set((await this.list()).map((p) => p.key))
  }

  /**
   * Trust a publisher key (hex or z32). Adding a key twice changes only its auto-upgrade policy,
   * when one is given. @throws BAD_KEY
   */
  async add(key: string, label?: string, opts: { autoUpgrade?: boolean } = {}): Promise<{ added: boolean; publisher: TrustedPublisher }> {
    const hex = formatId(parseKey(key, 'publisher key'))
    await this.ready()
    return withLock(`${this.file}.lock`, async () => {
      const f = await this.read()
      const had = f.publishers.find((p) => p.key === hex)
      if (had) {
        if (opts.autoUpgrade !== undefined && Boolean(had.autoUpgrade) !== opts.autoUpgrade) {
          if (opts.autoUpgrade) had.autoUpgrade = true
          else delete had.autoUpgrade
          await atomicWrite(this.file, JSON.stringify(f, null, 2) + '\n')
        }
        return { added: false, publisher: had }
      }
      const publisher: TrustedPublisher = {
        key: hex,
        ...(label ? { label } : {}),
        addedAt: new Date().toISOString(),
        ...(opts.autoUpgrade ? { autoUpgrade: true } : {})
      }
      f.publishers.push(publisher)
      await atomicWrite(this.file, JSON.stringify(f, null, 2) + '\n')
      return { added: true, publisher }
    })
  }

  /** Stop trusting a key. @throws BAD_KEY, NOT_FOUND when the key was not trusted */
  async remove(key: string): Promise<TrustedPublisher> {
    const hex = formatId(parseKey(key, 'publisher key'))
    await this.ready()
    return withLock(`${this.file}.lock`, async () => {
      const f = await this.read()
      const i = f.publishers.findIndex((p) => p.key === hex)
      if (i === -1) throw HypernetError.NOT_FOUND(`publisher ${hex} is not trusted (see trust list)`)
      const [removed] = f.publishers.splice(i, 1)
      await atomicWrite(this.file, JSON.stringify(f, null, 2) + '\n')
      return removed
    })
  }

  private read(): Promise<TrustFile> {
    return readJsonFile<TrustFile>(
      this.file,
      'trust list',
      () => ({ version: 1, publishers: [] }),
      (f) => {
        if (f.version !== 1 || !Array.isArray(f.publishers)) throw new Error('unknown version')
        return f
      }
    )
  }
}
