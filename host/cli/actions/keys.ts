import { createKeyFile, keyPath, readKeyFile } from '../../keys/index.ts'
import { formatId, formatZ32 } from '../../encoding/ids.ts'
import type { CliContext } from '../context.ts'

/** Generate or show a named publisher key. @throws FILE_EXISTS, KEY_NOT_FOUND, KEY_INVALID, USAGE */
export async function keys(ctx: CliContext, args: { action: 'generate' | 'show'; name: string; force?: boolean }): Promise<void> {
  const file = keyPath(ctx.paths.keys, args.name)
  const kp = args.action === 'generate' ? await createKeyFile(file, { force: args.force }) : await readKeyFile(file)
  const out = { name: args.name, publicKey: formatId(kp.publicKey), z32: formatZ32(kp.publicKey), file }
  ctx.data(out, () => [
    ...(args.action === 'generate' && !ctx.quiet ? [`created key "${args.name}" (secret in ${file}, mode 0600)`] : []),
    `public key  ${out.publicKey}`,
    ...(ctx.quiet ? [] : [`z32         ${out.z32}`])
  ])
}
