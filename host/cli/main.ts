import { HypernetError } from '../errors.ts'
import { packageVersion } from '../util/package-root.ts'
import { createContext } from './context.ts'
import type { CliIO } from './context.ts'
import { EXIT, exitCodeFor } from './exit-codes.ts'
import { commands } from './commands/index.ts'

/**
 * Run the CLI on `argv` and return the exit code. The only place errors are printed and
 * turned into exit codes: one line on stderr, `CODE: what was expected, what came`.
 */
export async function runCli(argv: string[], io: CliIO = processIO()): Promise<number> {
  // Answered before yargs loads (~60 ms of its own): scripts call --version to probe.
  if (argv.length === 1 && argv[0] === '--version') {
    io.stdout.write(packageVersion() + '\n')
    return EXIT.OK
  }
  const { default: yargs } = await import('yargs')
  let exitCode: number = EXIT.OK
  let failed = false
  const report = (err: unknown, json: boolean) => {
    failed = true
    const e = err instanceof HypernetError ? err : null
    exitCode = e ? exitCodeFor(e.code, e.details) : EXIT.FAILURE
    const message = e ? e.message : `INTERNAL: ${(err as Error)?.stack ?? String(err)}`
    if (json && !e?.details?.reported) io.stdout.write(JSON.stringify({ ok: false, code: e?.code ?? 'INTERNAL', error: message }) + '\n')
    io.stderr.write(message.split('\n')[0] + '\n')
    const after = e?.details?.after
    if (Array.isArray(after)) for (const line of after) io.stderr.write(String(line) + '\n')
    if (!e && process.env.HYPERNET_DEBUG) io.stderr.write(String((err as Error)?.stack) + '\n')
  }

  let parser = yargs(argv)
    .scriptName('hypernet-host')
    .usage('$0 <command> [options]\n\nRun signed, sandboxed WebAssembly apps on HyperDHT.')
    .option('home', { type: 'string', describe: 'host home folder (env HYPERNET_HOME)', global: true })
    .option('json', { type: 'boolean', describe: 'print machine-readable JSON', global: true })
    .option('quiet', { alias: 'q', type: 'boolean', describe: 'print only data and errors', global: true })
    .env('HYPERNET')
    .strict()
    .demandCommand(1, 'name a command (see --help)')
    .recommendCommands()
    .help()
    .alias('help', 'h')
    .version(packageVersion())
    .wrap(Math.min(110, process.stdout.columns || 100))
    .exitProcess(false)
    .fail((msg, err) => {
      if (failed) return
      if (err) report(err, false)
      else report(HypernetError.USAGE(msg), false)
    })

  for (const def of commands) {
    parser = parser.command({
      command: def.command,
      describe: def.describe,
      builder: (y: any) => (def.builder ? def.builder(y) : y),
      handler: async (args: any) => {
        const ctx = createContext(args, io)
        try {
          await def.run(ctx, args)
        } catch (err) {
          report(err, ctx.json)
        }
      }
    })
  }

  try {
    await parser.parseAsync()
  } catch (err) {
    if (!failed) report(err, false)
  }
  return exitCode
}

function processIO(): CliIO {
  return { stdout: process.stdout, stderr: process.stderr, stdin: process.stdin, interactive: Boolean(process.stdin.isTTY && process.stderr.isTTY) }
}
