import type { CommandDef } from '../command.ts'

/** `netcheck`: this machine's network as HyperDHT sees it. */
export const netcheckCommand: CommandDef = {
  command: 'netcheck',
  describe: 'check this network as HyperDHT sees it: reachable or firewalled, NAT type, whether hole punching will work, relays',
  builder: (y) =>
    y
      .option('bootstrap', { type: 'string', array: true, describe: "DHT bootstrap host:port (default: the running daemon's network, else the public one)" })
      .option('timeout', { type: 'number', default: 15, describe: 'seconds to wait for the DHT' })
      .example('$0 netcheck', 'one line per finding')
      .example('$0 netcheck --json', 'everything, for scripts'),
  run: async (ctx, args) => (await import('../actions/netcheck.ts')).netcheckCmd(ctx, args as any)
}
