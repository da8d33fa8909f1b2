import { lookupVerified } from '../../dns/index.ts'
import { formatId, parseHash, parseKey } from '../../encoding/ids.ts'
import { OnionClient, connectHidden } from '../../onion/index.ts'
import type { CliContext } from '../context.ts'
import { timeoutMs } from '../number-flags.ts'
import { commandDht } from './network.ts'
import { pipeStdio } from './pipe-stdio.ts'

/**
 * `connect --anonymous`: join a service to stdin/stdout through a three-hop onion circuit, from
 * a DHT node made for this command (so not even the first relay sees a host key). A service
 * hash is resolved with a verified lookup from this machine first: DHT nodes near the hash see
 * that lookup come from this address, so a service key keeps even that off the wire. With
 * `--hidden`, the target is a hidden service key, met at a rendezvous point (hidden-client.ts).
 * @throws BAD_KEY (--hidden with something not a key), BAD_HASH, NOT_FOUND (no such hidden
 *   service), NO_RELAYS, CIRCUIT_FAILED, CIRCUIT_TAMPERED
 */
export async function connectAnonymous(
  ctx: CliContext,
  args: { target: string; bootstrap?: string[]; timeout: number; hops?: number; hidden?: boolean }
): Promise<void> {
  const id = args.hidden ? parseKey(args.target, 'target') : parseHash(args.target, 'target')
  const ms = timeoutMs(args.timeout, 15)
  const dht = await commandDht(ctx, args.bootstrap)
  const client = new OnionClient(dht, { timeoutMs: ms, hops: args.hops })
  try {
    if (args.hidden) {
      const c = await connectHidden(client, id, { timeoutMs: ms })
      if (!ctx.quiet)
        ctx.io.stderr.write(
          `connected to hidden service ${formatId(id)} at rendezvous relay ${c.rendezvous.slice(0, 8)}, introduced by relay ${c.intro.slice(0, 8)}\n`
        )
      return await pipeStdio(ctx, c.stream)
    }
    let key = id
    for await (const p of lookupVerified(dht, id, { limit: 1, timeoutMs: Math.min(5000, ms) })) {
      if (p.serviceKey) key = Buffer.from(p.serviceKey, 'hex')
    }
    const stream = await client.connect(key)
    if (!ctx.quiet) {
      const via = stream.path.map((r) => r.relayKey.slice(0, 8)).join(' -> ')
      ctx.io.stderr.write(`connected anonymously to service key ${formatId(key)} via relays ${via}\n`)
    }
    await pipeStdio(ctx, stream)
  } finally {
    await client.close()
    await dht.destroy()
  }
}
