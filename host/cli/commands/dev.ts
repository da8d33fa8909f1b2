import type { CommandDef } from '../command.ts'

/** `dev`: build, sign with the development key, install; `--watch` repeats on change. */
export const devCommand: CommandDef = {
  command: 'dev',
  describe: 'in an app project: build, sign with the development key "dev", install here; --watch repeats on change',
  builder: (y) =>
    y
      .option('dir', { type: 'string', describe: 'the project (default: the current folder)' })
      .option('watch', { alias: 'w', type: 'boolean', default: false, describe: 'rebuild and reinstall when assembly/ or the draft changes' })
      .example('$0 dev --watch', 'in a folder made by new'),
  run: async (ctx, args) => (await import('../actions/dev.ts')).dev(ctx, args as any)
}
