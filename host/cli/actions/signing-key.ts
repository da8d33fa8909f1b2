import { HypernetError, isHypernetError } from '../../errors.ts'
import { keyPath, readKeyFile } from '../../keys/index.ts'
import type { KeyPair } from '../../manifest/index.ts'
import type { CliContext } from '../context.ts'

/**
 * The key `sign` and `endorse` sign with: `--key <file>`, else `<home>/keys/<key-name>.key`.
 * `keys generate --name N` makes only the second kind, so a missing --key file is not told to
 * run it (it would make a key somewhere else).
 * @throws KEY_NOT_FOUND, KEY_INVALID, KEY_EXPOSED
 */
export async function signingKey(ctx: CliContext, args: { key?: string; keyName: string }): Promise<KeyPair> {
  if (args.key === undefined) return readKeyFile(keyPath(ctx.paths.keys, args.keyName))
  try {
    return await readKeyFile(args.key)
  } catch (err) {
    if (!isHypernetError(err, 'KEY_NOT_FOUND')) throw err
    throw HypernetError.KEY_NOT_FOUND(
      args.key,
      '--key: expected an existing key file; or make one in this home with keys generate --name N and sign with --key-name N'
    )
  }
}
