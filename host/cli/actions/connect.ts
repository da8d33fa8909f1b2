import { HypernetError, isHypernetError } from '../../errors.ts'
import { formatId, parseHash } from '../../encoding/ids.ts'
import { dialServiceHash } from '../../net/index.ts'
import { connectWithRelay } from '../../net/index.ts'
import { RelayDirectory } from '../../net/index.ts'
import { silentLogger } from '../../log/index.ts'
import { HostTrustStore } from '../../store/index.ts'
import type { CliContext } from '../context.ts'
import { commandDht } from './network.ts'
import { pipeStdio } from './pipe-stdio.ts'
import { timeoutMs } from '../number-flags.ts'

/**
 * Join a service connection to stdin/stdout. The target is tried as a service hash first (a
 * host that vouches for it; with --endorsed, one its publisher endorses), then as a service key
 * (never with --endorsed or --trusted-hosts: a bare key has no publisher and no host).
 * @throws USAGE (a bad --timeout), BAD_HASH, NOT_FOUND, CONNECTION_FAILED
 */
export async function connectCmd(
  ctx: CliContext,
  args: { target: string; bootstrap?: string[]; timeout: number; endorsed?: boolean; trustedHosts?: boolean }
): Promise<void> {
  const id = parseHash(args.target, 'target')
  const ms = timeoutMs(args.timeout, 15)
  const trusted = args.trustedHosts ? await new HostTrustStore(ctx.paths.trustedHosts).keys() : undefined
  if (trusted && trusted.size === 0) throw HypernetError.USAGE('--trusted-hosts: no host is trusted yet (hosts trust <host key>)')
  const strict = args.endorsed || trusted !== undefined
  const dht = await commandDht(ctx, args.bootstrap)
  // relays are looked up only if a hole cannot be punched
  const relays = new RelayDirectory(dht, silentLogger())
  const connect = (key: Buffer, timeoutMs: number) => connectWithRelay(dht, key, { relays, timeoutMs })
  try {
    let stream
    try {
      const r = await dialServiceHash(dht, id, { timeoutMs: ms, connect, endorsed: args.endorsed, hosts: trusted })
      stream = r.stream
      if (!ctx.quiet)
        ctx.io.stderr.write(
          `connected to ${r.peer.kind === 'bridge' ? `bridge ${r.peer.service}` : `${r.peer.app}@${r.peer.version} ${r.peer.service}`} on host ${r.peer.hostKey.slice(0, 16)}… (key ${r.peer.serviceKey}; ${r.peer.endorsement ? `endorsed by publisher ${r.peer.endorsement.publisher.slice(0, 16)}…` : 'host-vouched only'})\n`
        )
    } catch (err) {
      if (!isHypernetError(err, 'NOT_FOUND') || strict) throw err
      stream = await connect(id, ms)
      if (!ctx.quiet) ctx.io.stderr.write(`connected to service key ${formatId(id)}\n`)
    }
    await pipeStdio(ctx, stream)
  } finally {
    await dht.destroy()
  }
}
