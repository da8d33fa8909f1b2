import type { Argv } from 'yargs'
import type { CliContext } from './context.ts'

/**
 * A CLI command: its yargs definition, and a handler that is imported only when the command
 * runs (so `--help` never loads Extism or HyperDHT). Handlers throw HypernetErrors; they never
 * print errors or exit.
 */
export interface CommandDef {
  command: string | string[]
  describe: string
  builder?: (y: Argv) => Argv<any>
  run: (ctx: CliContext, args: Record<string, any>) => Promise<void>
}
