import type { CommandDef } from '../command.ts'

/** `keys generate|show`: publisher keys in the host home. */
export const keysCommand: CommandDef = {
  command: 'keys <action>',
  describe: 'make or show a publisher key (the secret never leaves its 0600 file)',
  builder: (y) =>
    y
      .positional('action', { choices: ['generate', 'show'] as const, describe: 'generate a new key, or show a key' })
      .option('name', { type: 'string', default: 'publisher', describe: 'key name, stored as <home>/keys/<name>.key' })
      .option('force', { type: 'boolean', describe: 'replace an existing key of that name' })
      .example('$0 keys generate', 'make the default publisher key')
      .example('$0 keys show --json', 'print the public key as JSON'),
  run: async (ctx, args) => (await import('../actions/keys.ts')).keys(ctx, args as any)
}
