import type { CommandDef } from '../command.ts'

/** `list` (or `ls`): installed apps and their services. */
export const listCommand: CommandDef = {
  command: ['list', 'ls'],
  describe: 'list installed apps with their services and service hashes',
  builder: (y) => y.example('$0 list', 'a table').example('$0 list --json', 'for scripts'),
  run: async (ctx) => (await import('../actions/list.ts')).list(ctx)
}
