import { createInterface } from 'node:readline/promises'
import { homePaths, resolveHome } from '../home.ts'
import type { HomePaths } from '../home.ts'

/** Where a command reads and writes; tests pass their own. */
export interface CliIO {
  stdout: NodeJS.WritableStream
  stderr: NodeJS.WritableStream
  stdin: NodeJS.ReadableStream
  /** Whether a person can be asked a question. */
  interactive: boolean
}

/** What every command handler gets: the global options resolved, and output helpers. */
export interface CliContext {
  paths: HomePaths
  json: boolean
  quiet: boolean
  io: CliIO
  /** Print a line for people (suppressed by -q). */
  say(line?: string): void
  /** Print data: JSON with --json, else the given text lines. */
  data(value: unknown, text: () => string[]): void
  /** Ask a yes/no question; false without a terminal. */
  confirm(question: string): Promise<boolean>
}

export interface GlobalArgs {
  home?: string
  json?: boolean
  quiet?: boolean
}

/** Build the context for one command run. */
export function createContext(args: GlobalArgs, io: CliIO): CliContext {
  const write = (s: NodeJS.WritableStream, line: string) => s.write(line + '\n')
  return {
    paths: homePaths(resolveHome(args.home)),
    json: args.json === true,
    quiet: args.quiet === true,
    io,
    say(line = '') {
      if (!this.quiet && !this.json) write(io.stdout, line)
    },
    data(value, text) {
      if (this.json) write(io.stdout, JSON.stringify(value, null, 2))
      else for (const l of text()) write(io.stdout, l)
    },
    async confirm(question) {
      if (!io.interactive) return false
      const rl = createInterface({ input: io.stdin, output: io.stderr })
      try {
        const answer = await rl.question(`${question} [y/N] `)
        return /^y(es)?$/i.test(answer.trim())
      } finally {
        rl.close()
      }
    }
  }
}
