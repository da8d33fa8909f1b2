import type { CommandDef } from '../command.ts'

/** `bootstrap`: run a DHT bootstrap node of a private network. */
export const bootstrapCommand: CommandDef = {
  command: 'bootstrap',
  describe: "run a DHT bootstrap node for a private network of hosts (hyperdht's bootstrap mode) until Ctrl-C or SIGTERM",
  builder: (y) =>
    y
      .option('host', { type: 'string', describe: 'the IPv4 address other machines reach this one at (default: its first non-loopback address)' })
      .option('port', { type: 'number', default: 49737, describe: 'UDP port (exit 2 if taken)' })
      .option('nodes', {
        type: 'number',
        default: 10,
        describe: 'DHT nodes to run in this process, the bootstrap node and persistent nodes beside it (1 to 64; hole punching needs several)'
      })
      .option('join', { type: 'string', array: true, describe: 'other bootstrap nodes of the same network, host:port' })
      .example('$0 bootstrap --host 10.0.0.1', 'then on every host: hypernet-host config set bootstrap 10.0.0.1:49737')
      .example('$0 bootstrap --host 10.0.0.2 --join 10.0.0.1:49737', 'a second bootstrap node of the same network'),
  run: async (ctx, args) => (await import('../actions/bootstrap.ts')).bootstrap(ctx, args as any)
}
