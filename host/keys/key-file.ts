import { dirname, join } from 'node:path'
import sodium from 'sodium-native'
import { HypernetError } from '../errors.ts'
import { readPrivateFile } from '../util/private-file.ts'
import { generateKeyPair } from '../manifest/index.ts'
import { atomicWrite } from '../util/atomic-write.ts'
import { exists } from '../util/exists.ts'
import type { KeyPair } from '../manifest/index.ts'
import { makeDirs } from '../util/make-dirs.ts'

/**
 * Publisher and host keys on disk. A key file is JSON `{ "type": "ed25519", "publicKey": hex,
 * "secretKey": hex }` with mode 0600; the secret is never printed. Writes go to a temporary
 * file renamed into place, so a crash never leaves half a key.
 *
 * A key file that group or others may read or write (any of mode 0077) is refused with
 * KEY_EXPOSED, as ssh refuses such a private key: its secret may already be known, so quietly
 * fixing the mode would hide that. The message says how to fix it once the owner has checked.
 */

const NAME = /^[a-zA-Z0-9][a-zA-Z0-9._-]{0,63}$/

/** Path of the named key in a keys folder. Throws USAGE for a name that is not a plain name. */
export function keyPath(keysDir: string, name: string): string {
  if (!NAME.test(name)) throw HypernetError.USAGE(`--name: expected letters, digits, ".", "_" or "-", got ${JSON.stringify(name)}`)
  return join(keysDir, `${name}.key`)
}

/**
 * Create a new key file. Throws FILE_EXISTS unless `force`.
 */
export async function createKeyFile(file: string, opts: { force?: boolean; keyPair?: KeyPair } = {}): Promise<KeyPair> {
  if (!opts.force && (await exists(file))) throw HypernetError.FILE_EXISTS(file)
  const kp = opts.keyPair ?? generateKeyPair()
  await makeDirs(dirname(file), 0o700)
  const body = JSON.stringify({ type: 'ed25519', publicKey: kp.publicKey.toString('hex'), secretKey: kp.secretKey.toString('hex') }) + '\n'
  await atomicWrite(file, body, 0o600)
  return kp
}

/**
 * Read a key file.
 * @throws KEY_NOT_FOUND when the file does not exist; KEY_EXPOSED when group or others may read
 * or write it; KEY_INVALID when it is not a valid key file
 */
export async function readKeyFile(file: string): Promise<KeyPair> {
  const raw = await readPrivateFile(file)
  if (raw === null) throw HypernetError.KEY_NOT_FOUND(file)
  let parsed: any
  try {
    parsed = JSON.parse(raw)
  } catch {
    throw HypernetError.KEY_INVALID(file, 'the file is not JSON')
  }
  const publicKey = Buffer.from(String(parsed?.publicKey ?? ''), 'hex')
  const secretKey = Buffer.from(String(parsed?.secretKey ?? ''), 'hex')
  if (parsed?.type !== 'ed25519' || publicKey.length !== 32 || secretKey.length !== 64 || !matches(publicKey, secretKey)) {
    throw HypernetError.KEY_INVALID(file, 'its keys are malformed or do not belong together')
  }
  return { publicKey, secretKey }
}

/** Read the key file, creating it first if missing (host identities). */
export async function loadOrCreateKeyFile(file: string): Promise<KeyPair> {
  try {
    return await readKeyFile(file)
  } catch (err) {
    if (err instanceof HypernetError && err.code === 'KEY_NOT_FOUND') return createKeyFile(file)
    throw err
  }
}

function matches(publicKey: Buffer, secretKey: Buffer): boolean {
  const msg = Buffer.from('hypernet key check')
  const sig = Buffer.alloc(64)
  sodium.crypto_sign_detached(sig, msg, secretKey)
  return sodium.crypto_sign_verify_detached(sig, msg, publicKey)
}
