import { HypernetError } from '../../errors.ts'
import type { CommandDef } from '../command.ts'

/** `connect <service key | service hash>`: like nc, over HyperDHT. */
export const connectCommand: CommandDef = {
  command: 'connect <target>',
  describe: 'connect to a service and join it to stdin/stdout (a service hash picks a host that vouches for it; --endorsed: one its publisher endorses)',
  builder: (y) =>
    y
      .positional('target', { type: 'string', describe: 'service hash or service key (hex or z32); with --hidden, a hidden service key', demandOption: true })
      .option('bootstrap', { type: 'string', array: true, describe: 'DHT bootstrap host:port' })
      .option('timeout', { type: 'number', default: 15, describe: 'seconds to find and reach a peer' })
      .option('endorsed', { type: 'boolean', describe: "with a service hash: only a host the app's publisher endorses (endorse)" })
      .option('trusted-hosts', { type: 'boolean', describe: "with a service hash: only a host on this home's trusted list (hosts trust)" })
      .option('anonymous', { type: 'boolean', describe: 'go through a three-hop onion circuit: the service sees a relay, never your key or address' })
      .option('hidden', {
        type: 'boolean',
        describe: 'the target is a hidden service key: meet it at a rendezvous point through onion circuits (implies --anonymous)'
      })
      .example('echo hello | $0 connect 2d7a…', 'talk to an echo service')
      .example('echo hello | $0 connect --endorsed 2d7a…', 'only a host the publisher endorsed')
      .example('echo hello | $0 connect --anonymous 2d7a…', 'the same, through onion relays')
      .example('echo hello | $0 connect --hidden 9f0c…', 'talk to a hidden service by its hidden key'),
  run: async (ctx, args) => {
    if ((args.anonymous || args.hidden) && (args.endorsed || args.trustedHosts))
      throw HypernetError.USAGE(
        `--${args.endorsed ? 'endorsed' : 'trusted-hosts'}: not available with --${args.hidden ? 'hidden' : 'anonymous'} (an onion dial picks no host by its descriptor)`
      )
    return args.anonymous || args.hidden
      ? (await import('../actions/connect-anonymous.ts')).connectAnonymous(ctx, args as any)
      : (await import('../actions/connect.ts')).connectCmd(ctx, args as any)
  }
}
