import type { CommandDef } from '../command.ts'

/** `config show|set|unset`: the host's settings file, `<home>/config.json`. */
export const configCommand: CommandDef = {
  command: 'config <action> [key] [value]',
  describe:
    'show or change <home>/config.json: bootstrap list, port, LAN discovery, relay, onion, serving limits, log level (flags and HYPERNET_BOOTSTRAP win over it)',
  builder: (y) =>
    y
      .positional('action', { choices: ['show', 'set', 'unset'] as const })
      .positional('key', { type: 'string', describe: 'a dotted setting, e.g. bootstrap, port, lan.enabled, relay.maxConnections' })
      .positional('value', { type: 'string', describe: 'with set: the value (lists: comma separated)' })
      .example('$0 config set bootstrap 10.0.0.1:49737,10.0.0.2:49737', 'every command joins this private network')
      .example('$0 config set lan.enabled true', 'find hosts on this link by multicast DNS')
      .example('$0 config unset port', 'back to the default')
      .example('$0 config show --json', 'the file as it is'),
  run: async (ctx, args) => (await import('../actions/config.ts')).config(ctx, args as any)
}
