import { readJsonFile } from '../util/json-file.ts'
import { dirname } from 'node:path'
import { formatId, parseKey } from '../encoding/ids.ts'
import { HypernetError } from '../errors.ts'
import { atomicWrite } from '../util/atomic-write.ts'
import { withLock } from './lock.ts'
import { makeDirs } from '../util/make-dirs.ts'

/**
 * Which peers may connect to this host's services, kept in `<home>/firewall.json`:
 * `{ "version": 1, "allow": [hex], "deny": [hex] }`. Rules: a denied key never connects; when
 * `allow` is non-empty only the keys in it connect (an empty allow list means everyone not
 * denied). The daemon reads it at start and on every reload.
 */

export interface FirewallRules {
  allow: string[]
  deny: string[]
}

export class FirewallStore {
  constructor(readonly file: string) {}

  async read(): Promise<FirewallRules> {
    return readJsonFile(
      this.file,
      'firewall list',
      () => ({ allow: [], deny: [] }),
      (f) => {
        if (f.version !== 1 || !Array.isArray(f.allow) || !Array.isArray(f.deny)) throw new Error('unknown version')
        return { allow: f.allow.map(String), deny: f.deny.map(String) }
      }
    )
  }

  /** Put a peer key on a list (and off the other). @throws BAD_KEY */
  async set(list: 'allow' | 'deny', key: string): Promise<FirewallRules> {
    const hex = formatId(parseKey(key, 'peer key'))
    return this.update((r) => {
      const other = list === 'allow' ? 'deny' : 'allow'
      r[other] = r[other].filter((k) => k !== hex)
      if (!r[list].includes(hex)) r[list].push(hex)
    })
  }

  /** Take a peer key off both lists. @throws BAD_KEY, NOT_FOUND */
  async remove(key: string): Promise<FirewallRules> {
    const hex = formatId(parseKey(key, 'peer key'))
    return this.update((r) => {
      if (!r.allow.includes(hex) && !r.deny.includes(hex)) throw HypernetError.NOT_FOUND(`peer ${hex} is on neither firewall list`)
      r.allow = r.allow.filter((k) => k !== hex)
      r.deny = r.deny.filter((k) => k !== hex)
    })
  }

  private async update(fn: (r: FirewallRules) => void): Promise<FirewallRules> {
    await makeDirs(dirname(this.file))
    return withLock(`${this.file}.lock`, async () => {
      const r = await this.read()
      fn(r)
      await atomicWrite(this.file, JSON.stringify({ version: 1, ...r }, null, 2) + '\n')
      return r
    })
  }
}
