import { readdir } from 'node:fs/promises'
import type { KeyPair } from 'hyperdht'
import { keyPath, readKeyFile } from '../keys/index.ts'

/**
 * The keys this host can sign DHT records with: its identity (the default), or a named key in
 * `<home>/keys/<name>.key` (the same files `keys generate --name` makes). Secrets are read when
 * a record is signed and never kept.
 */
export class KvSigners {
  constructor(
    private readonly identity: KeyPair,
    private readonly keysDir: string
  ) {}

  /** The identity, or the named key. @throws USAGE for a bad name, KEY_NOT_FOUND, KEY_INVALID */
  async key(name?: string | null): Promise<KeyPair> {
    if (name === undefined || name === null) return this.identity
    return readKeyFile(keyPath(this.keysDir, name))
  }

  /** Which of this host's keys has public key `pub`: null for the identity, a key name, or undefined for none. */
  async nameOf(pub: Uint8Array): Promise<string | null | undefined> {
    const want = Buffer.from(pub)
    if (this.identity.publicKey.equals(want)) return null
    let files: string[] = []
    try {
      files = await readdir(this.keysDir)
    } catch {
      return undefined
    }
    for (const f of files) {
      if (!f.endsWith('.key')) continue
      const name = f.slice(0, -4)
      try {
        if ((await this.key(name)).publicKey.equals(want)) return name
      } catch {
        // not a usable key file: not a signer
      }
    }
    return undefined
  }
}
