import type { CommandDef } from '../command.ts'

/** `completion bash|zsh`: a shell completion script. */
export const completionCommand: CommandDef = {
  command: 'completion <shell>',
  describe: 'print a shell completion script for bash or zsh',
  builder: (y) =>
    y
      .positional('shell', { choices: ['bash', 'zsh'] as const, describe: 'your shell', demandOption: true })
      .example('source <($0 completion bash)', 'in ~/.bashrc')
      .example('source <($0 completion zsh)', 'in ~/.zshrc'),
  run: async (ctx, args) => (await import('../actions/completion.ts')).completion(ctx, args as any)
}
