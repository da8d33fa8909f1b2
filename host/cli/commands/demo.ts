import type { CommandDef } from '../command.ts'

/** `demo`: what `npm start` runs. */
export const demoCommand: CommandDef = {
  command: 'demo',
  describe: 'run a host on an embedded local network with the example apps installed (what npm start does)',
  builder: (y) => y.example('$0 demo', 'home in ./.hypernet-dev unless --home or HYPERNET_HOME is set'),
  run: async (ctx, args) => (await import('../actions/demo.ts')).demo(ctx, args as any)
}
