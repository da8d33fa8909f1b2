import type { CommandDef } from '../command.ts'

/** `endorse <host key> --app N | --code H`: the publisher's signed word that a host runs its app. */
export const endorseCommand: CommandDef = {
  command: 'endorse <host>',
  describe: 'as a publisher, sign and publish in the DHT that a host runs your app (lookup/connect --endorsed find only such hosts)',
  builder: (y) =>
    y
      .positional('host', { type: 'string', describe: 'the host key (hex or z32), as lookup prints it', demandOption: true })
      .option('app', { type: 'string', describe: 'the app name, as in your manifests (any of its code)' })
      .option('code', { type: 'string', describe: 'exactly this code hash (hex or z32)' })
      .option('key', { type: 'string', describe: 'key file to sign with (default: <home>/keys/<key-name>.key)' })
      .option('key-name', { type: 'string', default: 'publisher', describe: 'name of a key made by keys generate' })
      .option('days', {
        type: 'number',
        describe: 'the endorsement expires after this many days (default: never; the DHT keeps records ~48 hours, so run it again to keep it findable)'
      })
      .option('bootstrap', { type: 'string', array: true, describe: 'DHT bootstrap host:port' })
      .example('$0 endorse 3b6a…e1 --code 2d7a…', 'this host runs exactly this code of mine')
      .example('$0 endorse 3b6a…e1 --app echo --days 30', 'this host runs my app echo, for 30 days'),
  run: async (ctx, args) => (await import('../actions/endorse.ts')).endorse(ctx, args as any)
}
