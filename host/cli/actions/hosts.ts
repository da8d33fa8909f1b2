import { HypernetError } from '../../errors.ts'
import { HostTrustStore } from '../../store/index.ts'
import type { CliContext } from '../context.ts'

/** Trust, untrust or list hosts. @throws USAGE, BAD_KEY, NOT_FOUND */
export async function hosts(ctx: CliContext, args: { action: 'trust' | 'untrust' | 'list'; key?: string; label?: string }): Promise<void> {
  const store = new HostTrustStore(ctx.paths.trustedHosts)
  if (args.action === 'list') {
    const all = await store.list()
    ctx.data(all, () => (all.length === 0 ? ['no trusted hosts'] : all.map((h) => `${h.key}${h.label ? `  ${h.label}` : ''}`)))
    return
  }
  if (!args.key) throw HypernetError.USAGE(`hosts ${args.action}: expected a host key (64 hex or 52 z32 characters)`)
  if (args.action === 'trust') {
    const { added, host } = await store.add(args.key, args.label)
    ctx.data({ added, host }, () => [added ? `trusting host ${host.key}` : `host ${host.key} was already trusted`])
  } else {
    const removed = await store.remove(args.key)
    ctx.data({ removed }, () => [`no longer trusting host ${removed.key}`])
  }
}
