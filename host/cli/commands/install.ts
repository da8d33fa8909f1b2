import type { CommandDef } from '../command.ts'

/** `install app.wasm`: audit, ask consent, store. */
export const installCommand: CommandDef = {
  command: 'install <wasm>',
  describe: 'verify an app, show what it asks for, and install it (asks for consent unless the publisher is trusted)',
  builder: (y) =>
    y
      .positional('wasm', { type: 'string', describe: 'the app module', demandOption: true })
      .option('manifest', { alias: 'm', type: 'string', describe: 'its signed manifest (default: <app>.manifest.json beside it)' })
      .option('yes', { alias: 'y', type: 'boolean', describe: 'consent without asking' })
      .example('$0 install build/echo.wasm', 'asks before installing')
      .example('$0 install app.wasm --manifest app.manifest.json --yes', 'no prompt (scripts, CI)'),
  run: async (ctx, args) => (await import('../actions/install.ts')).install(ctx, args as any)
}
