import { publishEndorsement } from '../../dns/index.ts'
import { HypernetError } from '../../errors.ts'
import { formatId, parseHash, parseKey } from '../../encoding/ids.ts'
import { signingKey } from './signing-key.ts'
import type { CliContext } from '../context.ts'
import { commandDht } from './network.ts'

/**
 * Publish the publisher's endorsement of a host (host/dns/endorsement.ts), keeping the grants
 * it already gave that host.
 * @throws BAD_KEY, BAD_HASH, USAGE, KEY_NOT_FOUND
 */
export async function endorse(
  ctx: CliContext,
  args: { host: string; app?: string; code?: string; key?: string; keyName: string; days?: number; bootstrap?: string[] }
): Promise<void> {
  const host = parseKey(args.host, 'host')
  if (args.app === undefined && args.code === undefined) throw HypernetError.USAGE('endorse: expected --app <name> or --code <hash> (what the host runs)')
  if (args.app !== undefined && !/^[a-z0-9][a-z0-9-]{0,63}$/.test(args.app))
    throw HypernetError.USAGE(`--app: expected an app name (a-z, 0-9, -; at most 64), got ${JSON.stringify(args.app)}`)
  const codeHash = args.code === undefined ? null : parseHash(args.code, 'code')
  if (args.days !== undefined && !(args.days > 0)) throw HypernetError.USAGE(`--days: expected a positive number of days, got ${args.days}`)
  const publisher = await signingKey(ctx, args)
  const now = Math.floor(Date.now() / 1000)
  const expires = args.days === undefined ? null : now + Math.round(args.days * 86400)
  const dht = await commandDht(ctx, args.bootstrap)
  try {
    const { record, key } = await publishEndorsement(dht, publisher, host, { name: args.app ?? null, codeHash }, { expires, now })
    const grants = record.grants.map((g) =>
      [g.name ? `app ${g.name}` : '', g.codeHash ? `code ${formatId(Buffer.from(g.codeHash))}` : ''].filter(Boolean).join(' ')
    )
    const out = {
      publisher: formatId(publisher.publicKey),
      host: formatId(host),
      record: formatId(key),
      grants,
      expires: expires === null ? null : new Date(expires * 1000).toISOString()
    }
    ctx.data(out, () => [
      `publisher ${out.publisher} endorses host ${out.host}: ${grants.join('; ')}${out.expires ? ` (until ${out.expires})` : ''}`,
      'the DHT keeps it about 48 hours: run endorse again (or from a scheduled job) to keep it findable'
    ])
  } finally {
    await dht.destroy()
  }
}
