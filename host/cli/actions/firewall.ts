import { HypernetError } from '../../errors.ts'
import { FirewallStore } from '../../store/index.ts'
import type { CliContext } from '../context.ts'
import { notifyDaemon } from './notify-daemon.ts'

const PAST: Record<string, string> = { allow: 'allowed', deny: 'denied', remove: 'removed' }

/** Edit or show the firewall lists. @throws USAGE, BAD_KEY, NOT_FOUND */
export async function firewall(ctx: CliContext, args: { action: 'allow' | 'deny' | 'remove' | 'list'; key?: string }): Promise<void> {
  const store = new FirewallStore(ctx.paths.firewall)
  if (args.action === 'list') {
    const r = await store.read()
    ctx.data(r, () => [
      `allow  ${r.allow.length ? r.allow.join('\n       ') : '(everyone not denied)'}`,
      `deny   ${r.deny.length ? r.deny.join('\n       ') : '(nobody)'}`
    ])
    return
  }
  if (!args.key) throw HypernetError.USAGE(`firewall ${args.action}: expected a peer key (64 hex or 52 z32 characters)`)
  const r = args.action === 'remove' ? await store.remove(args.key) : await store.set(args.action, args.key)
  const daemon = await notifyDaemon(ctx, { op: 'reload', app: '' })
  ctx.data({ ...r, daemon }, () => [`${PAST[args.action]} ${args.key}${daemon === 'applied' ? ' (the running daemon applied it)' : ''}`])
}
