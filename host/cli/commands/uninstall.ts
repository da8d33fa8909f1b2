import type { CommandDef } from '../command.ts'

/** `uninstall <name | code hash>` (or `rm`). */
export const uninstallCommand: CommandDef = {
  command: ['uninstall <app>', 'rm <app>'],
  describe: 'remove an installed app (its stored data stays until you delete <home>/data/<name>)',
  builder: (y) => y.positional('app', { type: 'string', describe: 'app name or code hash', demandOption: true }).example('$0 uninstall echo', 'by name'),
  run: async (ctx, args) => (await import('../actions/uninstall.ts')).uninstall(ctx, args as any)
}
