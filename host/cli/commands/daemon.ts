import type { CommandDef } from '../command.ts'

/** `start`: run the host in the foreground. */
export const startCommand: CommandDef = {
  command: 'start',
  describe: 'run the host in the foreground: its DHT node, every installed app, its services',
  builder: (y) =>
    y
      .option('bootstrap', { type: 'string', array: true, describe: 'DHT bootstrap host:port (default: the public HyperDHT network)' })
      .option('local', { type: 'boolean', describe: 'start an embedded local DHT network in-process and join it (no internet needed)' })
      .option('port', { type: 'number', describe: 'UDP port of the host\'s DHT node' })
      .option('verbose', { alias: 'v', type: 'boolean', describe: 'debug lines on the terminal too' })
      .example('$0 start --local', 'an isolated network on this machine; prints its bootstrap address')
      .example('$0 start --bootstrap 127.0.0.1:49737', 'join another host\'s network'),
  run: async (ctx, args) => (await import('../actions/daemon.ts')).start(ctx, args as any)
}

/** `status`: what the running daemon is doing. */
export const statusCommand: CommandDef = {
  command: 'status',
  describe: 'show the running daemon: host key, network, apps, services (exit 3 when none runs)',
  builder: (y) => y.example('$0 status', 'at a glance').example('$0 status --json', 'everything'),
  run: async (ctx) => (await import('../actions/daemon.ts')).status(ctx)
}

/** `stop`: stop the running daemon. */
export const stopCommand: CommandDef = {
  command: 'stop',
  describe: 'stop the running daemon',
  builder: (y) => y.example('$0 stop', ''),
  run: async (ctx) => (await import('../actions/daemon.ts')).stop(ctx)
}

/** `restart <app>`: the operator's way out of `failed`. */
export const restartCommand: CommandDef = {
  command: 'restart <app>',
  describe: 'restart an app in the running daemon (also one marked failed after repeated crashes)',
  builder: (y) => y.positional('app', { type: 'string', demandOption: true }).example('$0 restart echo', ''),
  run: async (ctx, args) => (await import('../actions/daemon.ts')).restart(ctx, args as any)
}
