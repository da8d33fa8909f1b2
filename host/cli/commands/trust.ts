import type { CommandDef } from '../command.ts'

/** `trust add|remove|list`: publishers whose apps install without a prompt. */
export const trustCommand: CommandDef = {
  command: 'trust <action> [key]',
  describe: 'manage trusted publishers (their apps install without a consent prompt, still fully verified)',
  builder: (y) =>
    y
      .positional('action', { choices: ['add', 'remove', 'list'] as const })
      .positional('key', { type: 'string', describe: 'publisher key, hex or z32' })
      .option('label', { type: 'string', describe: 'a note to remember the publisher by (add)' })
      .option('auto-upgrade', { type: 'boolean', describe: "the daemon installs this publisher's upgrades that add no permission on its own (add)" })
      .example('$0 trust add 3b6a…e1 --label "my team"', 'trust a publisher')
      .example('$0 trust add 3b6a…e1 --auto-upgrade', 'also take its permission-neutral upgrades automatically')
      .example('$0 trust list', 'show trusted publishers'),
  run: async (ctx, args) => (await import('../actions/trust.ts')).trust(ctx, args as any)
}
