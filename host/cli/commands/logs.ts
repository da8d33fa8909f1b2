import type { CommandDef } from '../command.ts'

/** `logs`: the daemon's log, from the home's files, filtered, optionally followed. */
export const logsCommand: CommandDef = {
  command: 'logs',
  describe: "print the daemon's log (<home>/logs/host.log and its rotated files), readable, filtered; -f follows it",
  builder: (y) =>
    y
      .option('follow', { alias: 'f', type: 'boolean', describe: 'keep printing new lines, across rotations, until Ctrl-C' })
      .option('level', { type: 'string', describe: 'only lines at or above this level: debug, info, warn or error' })
      .option('app', { type: 'string', describe: 'only the lines about this app (their app field)' })
      .option('lines', { alias: 'n', type: 'number', describe: 'print the last N lines that pass the filters first (default 50; 0 for none)' })
      .example('$0 logs', 'the last 50 lines')
      .example('$0 logs -f --level warn', 'warnings and errors as they come')
      .example('$0 logs --app echo --lines 200', "the echo app's last 200 lines")
      .example('$0 logs --json | jq .msg', 'the lines as the file holds them, one JSON object each'),
  run: async (ctx, args) => (await import('../actions/logs.ts')).logs(ctx, args as any)
}
