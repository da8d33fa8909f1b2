import type { CommandDef } from '../command.ts'

/** `firewall allow|deny|remove|list`: which peers may connect. */
export const firewallCommand: CommandDef = {
  command: 'firewall <action> [key]',
  describe: "choose which peer keys may connect to this host's services (applies to a running daemon at once)",
  builder: (y) =>
    y
      .positional('action', { choices: ['allow', 'deny', 'remove', 'list'] as const })
      .positional('key', { type: 'string', describe: 'peer public key, hex or z32' })
      .example('$0 firewall deny 9a3f…', 'that peer can no longer connect')
      .example('$0 firewall allow 51be…', 'once any key is allowed, only allowed keys connect'),
  run: async (ctx, args) => (await import('../actions/firewall.ts')).firewall(ctx, args as any)
}
