import type { CommandDef } from '../command.ts'

/** `serving on|off|status [app]`: whether this host serves its apps' code to other hosts. */
export const servingCommand: CommandDef = {
  command: 'serving <action> [app]',
  describe: 'serve the code of running apps to other hosts, or not (for all apps or one); takes effect at once',
  builder: (y) =>
    y
      .positional('action', { choices: ['on', 'off', 'status'] as const })
      .positional('app', { type: 'string', describe: 'one app by name (default: all)' })
      .example('$0 serving off', 'serve no app to anyone')
      .example('$0 serving off chat', 'serve every app but chat')
      .example('$0 serving status', 'the switches and the limits')
      .example('$0 serving status chat', 'whether chat is served'),
  run: async (ctx, args) => (await import('../actions/serving.ts')).serving(ctx, args as any)
}
