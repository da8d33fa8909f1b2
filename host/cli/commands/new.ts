import type { CommandDef } from '../command.ts'

/** `new <name>`: scaffold a plugin project. */
export const newCommand: CommandDef = {
  command: 'new <name>',
  describe: 'scaffold a plugin project (AssemblyScript source, offline build script, draft manifest)',
  builder: (y) =>
    y
      .positional('name', { type: 'string', describe: 'app name: lowercase letters, digits, dashes', demandOption: true })
      .option('dir', { type: 'string', describe: 'where to create it (default: ./<name>)' })
      .example('$0 new hello', 'then: cd hello && npm install && npm run build (offline)'),
  run: async (ctx, args) => (await import('../actions/new.ts')).newProject(ctx, args as any)
}
