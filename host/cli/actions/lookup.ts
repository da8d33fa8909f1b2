import { daemonRunning, callDaemon } from '../../control/control-client.ts'
import { lookupVerified } from '../../dns/lookup.ts'
import type { LookupPeer } from '../../dns/lookup.ts'
import { HypernetError } from '../../errors.ts'
import { formatId, parseHash } from '../../encoding/ids.ts'
import type { CliContext } from '../context.ts'
import { commandDht } from './network.ts'
import { safeText } from '../safe-text.ts'

/**
 * Stream verified peers for a hash: through the daemon when one runs (and no --bootstrap was
 * given), else from a DHT node of its own.
 * @throws BAD_HASH, NOT_FOUND when no verified peer answered, USAGE
 */
export async function lookup(ctx: CliContext, args: { hash: string; limit?: number; timeout: number; all?: boolean; bootstrap?: string[] }): Promise<void> {
  const hash = parseHash(args.hash, 'hash')
  if (!(args.timeout > 0)) throw HypernetError.USAGE(`--timeout: expected a positive number of seconds, got ${args.timeout}`)
  if (args.limit !== undefined && !(args.limit >= 1)) throw HypernetError.USAGE(`--limit: expected a positive number, got ${args.limit}`)
  const opts = { limit: args.limit, timeoutMs: args.timeout * 1000, all: args.all }
  let found = 0
  const print = (p: LookupPeer) => {
    if (p.verified) found++
    if (ctx.json) ctx.io.stdout.write(JSON.stringify(p) + '\n')
    else ctx.io.stdout.write(formatPeer(p) + '\n')
  }
  if (!args.bootstrap && (await daemonRunning(ctx.paths.socket))) {
    await callDaemon(ctx.paths.socket, 'lookup', { hash: formatId(hash), ...opts }, (e) => print(e as LookupPeer))
  } else {
    const dht = await commandDht(ctx, args.bootstrap)
    try {
      for await (const p of lookupVerified(dht, hash, opts)) print(p)
    } finally {
      await dht.destroy()
    }
  }
  if (found === 0) throw HypernetError.NOT_FOUND(`no verified peer vends ${formatId(hash)} (searched ${args.timeout} s)`)
}

/** One peer on one line, escaped: every field came from the network. */
export function formatPeer(p: LookupPeer): string {
  return safeText(peerText(p))
}

function peerText(p: LookupPeer): string {
  if (!p.verified) return `${p.hostKey}  UNVERIFIED: ${p.how}`
  const svc = p.service ? `${p.service}${p.port === null ? '' : `:${p.port}`}  key ${p.serviceKey}` : '(no services)'
  // a bridge has no app version or port: `bridge web`, never `bridge@  web:null`
  const what = p.kind === 'bridge' ? 'bridge' : `${p.app}@${p.version}`
  return `${p.hostKey}  ${what}  ${svc}  publisher ${p.publisher.slice(0, 16)}…  verified: ${p.how}`
}
