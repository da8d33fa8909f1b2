import type { CommandDef } from '../command.ts'

/** `version`: what to paste into a bug report. */
export const versionCommand: CommandDef = {
  command: 'version',
  describe: 'print the versions of this host, its plugin ABI, HyperDHT, Extism and Node.js',
  builder: (y) => y.example('$0 version', 'one line each').example('$0 version --json', 'for scripts and bug reports'),
  run: async (ctx) => (await import('../actions/version.ts')).version(ctx)
}
