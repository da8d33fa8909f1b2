import { daemonRunning, callDaemon } from '../../control/index.ts'
import { endorsementCheck } from '../../dns/index.ts'
import { lookupVerified } from '../../dns/index.ts'
import type { LookupPeer } from '../../dns/index.ts'
import { HypernetError } from '../../errors.ts'
import { formatId, parseHash } from '../../encoding/ids.ts'
import { HostTrustStore } from '../../store/index.ts'
import type { CliContext } from '../context.ts'
import { commandDht } from './network.ts'
import { safeText } from '../safe-text.ts'

/**
 * Stream the peers that vouch for a hash, each checked for its publisher's endorsement:
 * through the daemon when one runs (and no --bootstrap was given), else from a DHT node of its
 * own. With --endorsed, only endorsed ones.
 * @throws BAD_HASH, NOT_FOUND when no such peer answered, USAGE
 */
export async function lookup(
  ctx: CliContext,
  args: { hash: string; limit?: number; timeout: number; all?: boolean; endorsed?: boolean; trustedHosts?: boolean; bootstrap?: string[] }
): Promise<void> {
  const hash = parseHash(args.hash, 'hash')
  if (!(args.timeout > 0)) throw HypernetError.USAGE(`--timeout: expected a positive number of seconds, got ${args.timeout}`)
  if (args.limit !== undefined && !(args.limit >= 1)) throw HypernetError.USAGE(`--limit: expected a positive number, got ${args.limit}`)
  if (args.endorsed && args.all) throw HypernetError.USAGE('--all: cannot be combined with --endorsed (it adds hosts nobody vouches for)')
  const trusted = args.trustedHosts ? await new HostTrustStore(ctx.paths.trustedHosts).keys() : undefined
  if (trusted && trusted.size === 0) throw HypernetError.USAGE('--trusted-hosts: no host is trusted yet (hosts trust <host key>)')
  const opts = { limit: args.limit, timeoutMs: args.timeout * 1000, all: args.all, endorsed: args.endorsed }
  let found = 0
  const print = (p: LookupPeer) => {
    if (p.verified) found++
    if (ctx.json) ctx.io.stdout.write(JSON.stringify(p) + '\n')
    else ctx.io.stdout.write(formatPeer(p) + '\n')
  }
  if (!args.bootstrap && (await daemonRunning(ctx.paths.socket))) {
    await callDaemon(ctx.paths.socket, 'lookup', { hash: formatId(hash), ...opts, hosts: trusted ? [...trusted] : undefined }, (e) => print(e as LookupPeer))
  } else {
    const dht = await commandDht(ctx, args.bootstrap)
    try {
      for await (const p of lookupVerified(dht, hash, { ...opts, hosts: trusted, endorsements: endorsementCheck(dht), endorsedOnly: args.endorsed })) print(p)
    } finally {
      await dht.destroy()
    }
  }
  if (found === 0)
    throw HypernetError.NOT_FOUND(
      `no ${args.endorsed ? 'publisher-endorsed' : 'host-vouched'}${trusted ? ' trusted' : ''} peer vends ${formatId(hash)} (searched ${args.timeout} s)`
    )
}

/** One peer on one line, escaped (every field came from the network): what it runs, who vouches for it, how old its descriptor is. */
export function formatPeer(p: LookupPeer): string {
  return safeText(peerText(p))
}

function peerText(p: LookupPeer): string {
  if (!p.verified) return `${p.hostKey}  UNVERIFIED: ${p.how}`
  const svc = p.service ? `${p.service}${p.port === null ? '' : `:${p.port}`}  key ${p.serviceKey}` : '(no services)'
  // a bridge has no app version or port: `bridge web`, never `bridge@  web:null`
  const what = p.kind === 'bridge' ? 'bridge' : `${p.app}@${p.version}`
  // the publisher a descriptor names is the host's claim, never proof, unless the publisher endorsed it
  const who =
    p.kind === 'bridge'
      ? "host-vouched (the host's own bridge)"
      : p.endorsement
        ? `endorsed by publisher ${p.endorsement.publisher.slice(0, 16)}…`
        : `host-vouched only (claims publisher ${p.publisher.slice(0, 16)}…, not endorsed)`
  const age = p.ageSeconds === null ? '' : `  updated ${formatAge(p.ageSeconds)} ago${p.stale ? ' (stale: the host may be gone)' : ''}`
  return `${p.hostKey}  ${what}  ${svc}  ${who}${p.trustedHost ? '  trusted host' : ''}${age}`
}

/** 45s, 12m, 3h, 2d. */
export function formatAge(s: number): string {
  if (s < 60) return `${s}s`
  if (s < 3600) return `${Math.floor(s / 60)}m`
  if (s < 86400) return `${Math.floor(s / 3600)}h`
  return `${Math.floor(s / 86400)}d`
}
