import { readJsonFile } from '../util/json-file.ts'
import { dirname } from 'node:path'
import { formatId, parseKey } from '../encoding/ids.ts'
import { HypernetError } from '../errors.ts'
import { atomicWrite } from '../util/atomic-write.ts'
import { withLock } from './lock.ts'
import { makeDirs } from '../util/make-dirs.ts'

/**
 * Hosts this home relies on, kept in `<home>/trusted-hosts.json`:
 * `{ "version": 1, "hosts": [{ "key": hex, "label"?: string }] }`. `lookup --trusted-hosts`
 * keeps only these. Trusting a host is the user's choice, not a proof of what it runs; an empty
 * list with --trusted-hosts means no host at all.
 */

export interface TrustedHost {
  key: string
  label?: string
}

export class HostTrustStore {
  constructor(readonly file: string) {}

  async list(): Promise<TrustedHost[]> {
    return readJsonFile(
      this.file,
      'trusted hosts list',
      () => [],
      (f) => {
        if (f.version !== 1 || !Array.isArray(f.hosts)) throw new Error('unknown version')
        return f.hosts.map((h: any) => {
          const key = formatId(parseKey(String(h?.key), 'host key'))
          return typeof h.label === 'string' ? { key, label: h.label } : { key }
        })
      }
    )
  }

  /** The trusted keys (hex). */
  async keys(): Promise<Set<string>> {
    return new Set((await this.list()).map((h) => h.key))
  }

  /** Trust a host. @throws BAD_KEY */
  async add(key: string, label?: string): Promise<{ added: boolean; host: TrustedHost }> {
    const hex = formatId(parseKey(key, 'host key'))
    let added = false
    const host: TrustedHost = label ? { key: hex, label } : { key: hex }
    await this.update((hosts) => {
      const i = hosts.findIndex((h) => h.key === hex)
      added = i === -1
      if (added) hosts.push(host)
      else if (label) hosts[i] = host
      return hosts
    })
    return { added, host }
  }

  /** Stop trusting a host. @throws BAD_KEY, NOT_FOUND */
  async remove(key: string): Promise<TrustedHost> {
    const hex = formatId(parseKey(key, 'host key'))
    let removed: TrustedHost | undefined
    await this.update((hosts) => {
      removed = hosts.find((h) => h.key === hex)
      if (!removed) throw HypernetError.NOT_FOUND(`host ${hex} is not trusted`)
      return hosts.filter((h) => h.key !== hex)
    })
    return removed!
  }

  private async update(fn: (hosts: TrustedHost[]) => TrustedHost[]): Promise<void> {
    await makeDirs(dirname(this.file))
    await withLock(`${this.file}.lock`, async () => {
      const hosts = fn(await this.list())
      await atomicWrite(this.file, JSON.stringify({ version: 1, hosts }, null, 2) + '\n')
    })
  }
}
