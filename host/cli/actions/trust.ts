import { HypernetError } from '../../errors.ts'
import { TrustStore } from '../../store/index.ts'
import type { CliContext } from '../context.ts'

/** Add, remove or list trusted publishers. @throws USAGE, BAD_KEY, NOT_FOUND */
export async function trust(ctx: CliContext, args: { action: 'add' | 'remove' | 'list'; key?: string; label?: string; autoUpgrade?: boolean }): Promise<void> {
  const store = new TrustStore(ctx.paths.trust)
  if (args.action === 'list') {
    const all = await store.list()
    ctx.data(all, () =>
      all.length === 0 ? ['no trusted publishers'] : all.map((p) => `${p.key}${p.label ? `  ${p.label}` : ''}${p.autoUpgrade ? '  (auto-upgrade)' : ''}`)
    )
    return
  }
  if (!args.key) throw HypernetError.USAGE(`trust ${args.action}: expected a publisher key (64 hex or 52 z32 characters)`)
  if (args.action === 'add') {
    const { added, publisher } = await store.add(args.key, args.label, { autoUpgrade: args.autoUpgrade })
    const auto = publisher.autoUpgrade ? ' (its upgrades that add no permission install on their own)' : ''
    ctx.data({ added, publisher }, () => [added ? `trusting publisher ${publisher.key}${auto}` : `publisher ${publisher.key} was already trusted${auto}`])
  } else {
    const removed = await store.remove(args.key)
    ctx.data({ removed }, () => [`no longer trusting publisher ${removed.key}`])
  }
}
