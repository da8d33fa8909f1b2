import type { CommandDef } from '../command.ts'

/** `upgrade [app] [--check] [--yes]`: newer versions from the network, by the pinned publisher. */
export const upgradeCommand: CommandDef = {
  command: 'upgrade [app]',
  describe: 'find newer versions of installed apps on the network (signed by their pinned publisher), show the permission changes, install on consent',
  builder: (y) =>
    y
      .positional('app', { type: 'string', describe: 'one installed app (default: every one)' })
      .option('check', { type: 'boolean', describe: 'only say what is available; install nothing' })
      .option('yes', { alias: 'y', type: 'boolean', describe: 'consent without asking (the changes are still printed)' })
      .option('bootstrap', { type: 'string', array: true, describe: "DHT bootstrap node host:port (default: the daemon's network, else public)" })
      .option('timeout', { type: 'number', default: 10, describe: 'seconds to look for newer versions, per app' })
      .example('$0 upgrade --check', 'what could be upgraded, with the permission changes')
      .example('$0 upgrade echo', 'upgrade echo, asking first'),
  run: async (ctx, args) => (await import('../actions/upgrade.ts')).upgrade(ctx, args as any)
}
