import type { CommandDef } from '../command.ts'

/** `sign app.wasm --manifest draft.json`: the publisher's side. */
export const signCommand: CommandDef = {
  command: 'sign <wasm>',
  describe: 'fill in a draft manifest (code hash, publisher) and sign it',
  builder: (y) =>
    y
      .positional('wasm', { type: 'string', describe: 'the app module', demandOption: true })
      .option('manifest', { alias: 'm', type: 'string', demandOption: true, describe: 'the draft manifest (JSON)' })
      .option('key', { type: 'string', describe: 'key file to sign with (default: <home>/keys/<key-name>.key)' })
      .option('key-name', { type: 'string', default: 'publisher', describe: 'name of a key made by keys generate' })
      .option('out', { alias: 'o', type: 'string', describe: 'where to write (default: <app>.manifest.json beside the wasm)' })
      .example('$0 sign build/echo.wasm --manifest echo.draft.json', 'writes build/echo.manifest.json'),
  run: async (ctx, args) => (await import('../actions/sign.ts')).sign(ctx, args as any)
}
