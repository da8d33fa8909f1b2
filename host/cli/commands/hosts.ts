import type { CommandDef } from '../command.ts'

/** `hosts trust|untrust|list`: hosts this home relies on (`lookup --trusted-hosts`). */
export const hostsCommand: CommandDef = {
  command: 'hosts <action> [key]',
  describe: 'manage trusted hosts: `lookup --trusted-hosts` and `connect --trusted-hosts` keep only these',
  builder: (y) =>
    y
      .positional('action', { choices: ['trust', 'untrust', 'list'] as const })
      .positional('key', { type: 'string', describe: 'host key, hex or z32 (as lookup prints it)' })
      .option('label', { type: 'string', describe: 'a note to remember the host by (trust)' })
      .example('$0 hosts trust 8f11…9a --label "our server"', 'rely on this host')
      .example('$0 lookup 2d7a… --trusted-hosts', 'only trusted hosts'),
  run: async (ctx, args) => (await import('../actions/hosts.ts')).hosts(ctx, args as any)
}
