import type { CommandDef } from '../command.ts'

/** `kv put|get|rm|ls|pin|unpin`: the DHT key-value store. */
export const kvCommand: CommandDef = {
  command: 'kv <action> [key] [value]',
  describe: 'the DHT key-value store: values signed by their owner, removable only by it, kept alive by this host',
  builder: (y) =>
    y
      .positional('action', { choices: ['put', 'get', 'rm', 'ls', 'pin', 'unpin'] as const, describe: 'what to do' })
      .positional('key', { type: 'string', describe: 'a key name (put, get, rm) or an address (get, rm, pin, unpin); with put --immutable, the value' })
      .positional('value', { type: 'string', describe: 'put: the value (UTF-8), or use --file' })
      .option('file', { type: 'string', describe: 'put: read the value from this file' })
      .option('immutable', { type: 'boolean', describe: 'put: store it content-addressed (its address is its hash; nobody owns it)' })
      .option('key-name', { type: 'string', describe: 'sign as the named key <home>/keys/<name>.key instead of the host identity' })
      .option('out', { type: 'string', describe: 'get: write the value to this file instead of stdout' })
      .option('bootstrap', {
        type: 'string',
        array: true,
        describe: 'DHT bootstrap host:port (default: through the running daemon, else its network, else the public one)'
      })
      .example('$0 kv put greeting "hello"', 'prints the address others get it by')
      .example('$0 kv get 156e…', 'prints the value (on any host)')
      .example('$0 kv put logo --file logo.svg --key-name team', 'signed by a named key')
      .example('$0 kv rm greeting', 'only the owner can remove it')
      .example('$0 kv pin 156e…', "keep someone else's value alive from this host")
      .example('$0 kv ls', 'what this host owns and keeps alive'),
  run: async (ctx, args) => (await import('../actions/kv.ts')).kv(ctx, args as any)
}
