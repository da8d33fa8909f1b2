import type { CommandDef } from '../command.ts'

/** `lookup <service hash | code hash>`: which peers vend it, and who vouches for each. */
export const lookupCommand: CommandDef = {
  command: 'lookup <hash>',
  describe:
    'list the peers that vend a service hash or code hash: each host vouches for itself in its signed descriptor; shows whether its publisher endorses it, and its age',
  builder: (y) =>
    y
      .positional('hash', { type: 'string', describe: 'service hash or code hash (hex or z32)', demandOption: true })
      .option('limit', { type: 'number', describe: 'stop after this many peers' })
      .option('timeout', { type: 'number', default: 10, describe: 'stop after this many seconds' })
      .option('all', { type: 'boolean', describe: 'also show peers that announce the hash without vouching for it (unverified)' })
      .option('endorsed', { type: 'boolean', describe: "only hosts the app's publisher endorses (endorse), not merely hosts that vouch for themselves" })
      .option('trusted-hosts', { type: 'boolean', describe: "only hosts on this home's trusted list (hosts trust)" })
      .option('bootstrap', { type: 'string', array: true, describe: "DHT bootstrap host:port (default: the running daemon's network, else the public one)" })
      .example('$0 lookup 2d7a…', 'one line per peer, as they are found')
      .example('$0 lookup 2d7a… --json --limit 1', 'one JSON object per line')
      .example('$0 lookup 2d7a… --endorsed', 'only hosts the publisher signed for'),
  run: async (ctx, args) => (await import('../actions/lookup.ts')).lookup(ctx, args as any)
}
