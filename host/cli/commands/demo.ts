import type { CommandDef } from '../command.ts'

/** `demo`: what `npm start` runs. */
export const demoCommand: CommandDef = {
  command: 'demo',
  describe: 'run a host on an embedded local network with the example apps installed (what npm start does)',
  builder: (y) =>
    y
      .option('web', {
        type: 'string',
        describe: 'also serve the live web page, as start --web (the flag alone: 127.0.0.1:49740); prints its URL'
      })
      .example('$0 demo', 'home in ./.hypernet-dev unless --home or HYPERNET_HOME is set')
      .example('$0 demo --web', 'the same, watched live in a browser (npm start -- --web)'),
  run: async (ctx, args) => (await import('../actions/demo.ts')).demo(ctx, args as any)
}
