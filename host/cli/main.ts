import { HypernetError } from '../errors.ts'
import { packageVersion } from '../util/package-root.ts'
import { createContext } from './context.ts'
import type { CliIO } from './context.ts'
import { EXIT, exitCodeFor } from './exit-codes.ts'
import { commands } from './commands/index.ts'
import { ENV, envBootstrap, envFlag } from './env.ts'
import { safeText } from './safe-text.ts'
import { checkNumberFlags } from './number-flags.ts'
import { usageMessage } from './usage-message.ts'

/**
 * Run the CLI on `argv` and return the exit code. The only place errors are printed and
 * turned into exit codes: one line on stderr, `CODE: what was expected, what came`.
 * A usage failure (unknown option, missing argument) runs nothing: yargs' fail hook throws,
 * so the command's handler is never reached.
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
  let debug = false
  let jsonEnv = false
  const report = (err: unknown, json: boolean) => {
    failed = true
    const e = err instanceof HypernetError ? err : folderError(err)
    exitCode = e ? exitCodeFor(e.code, e.details) : EXIT.FAILURE
    const message = e ? e.message : `INTERNAL: ${(err as Error)?.stack ?? String(err)}`
    // with --json the error is data: one object on stdout (or the report already printed), nothing on stderr
    if (json) {
      if (!e?.details?.reported) io.stdout.write(JSON.stringify({ ok: false, code: e?.code ?? 'INTERNAL', error: message }) + '\n')
    } else {
      // an error may quote a manifest or a peer: escaped like every line that does
      io.stderr.write(safeText(message.split('\n')[0]) + '\n')
      const after = e?.details?.after
      if (Array.isArray(after)) for (const line of after) io.stderr.write(safeText(String(line)) + '\n')
    }
    if (!e && debug) io.stderr.write(String((err as Error)?.stack) + '\n')
  }

  let parser = yargs(argv)
    .scriptName('hypernet-host')
    .usage('$0 <command> [options]\n\nRun signed, sandboxed WebAssembly apps on HyperDHT.')
    .option('home', { type: 'string', describe: 'host home folder (env HYPERNET_HOME)', global: true })
    .option('json', { type: 'boolean', describe: 'print machine-readable JSON', global: true })
    .option('quiet', { alias: 'q', type: 'boolean', describe: 'print only data and errors', global: true })
    .strict()
    // usage-message.ts reads yargs' English messages: a German LANG gave "Unzulässige Werte:" alone
    .locale('en')
    .demandCommand(1, 'name a command (see --help)')
    .recommendCommands()
    .help()
    .alias('help', 'h')
    .version(packageVersion())
    .wrap(Math.min(110, process.stdout.columns || 100))
    .exitProcess(false)
    // yargs passes itself second (its types leave it out): the aliases are what -n was typed as
    .middleware(((args: any, y: any) => checkNumberFlags(argv, args, y?.getOptions?.().alias, y?.getOptions?.().number)) as any, false)
    // a usage failure must stop here: throwing is what keeps yargs from running the handler
    .fail((msg, err) => {
      throw err ?? HypernetError.USAGE(usageMessage(msg, argv, commands))
    })

  for (const def of commands) {
    let takesBootstrap = false
    parser = parser.command({
      command: def.command,
      describe: def.describe,
      builder: (y: any) => {
        const built = def.builder ? def.builder(y) : y
        takesBootstrap = Boolean((built as any).getOptions?.().key?.bootstrap)
        return built
      },
      handler: async (args: any) => {
        if (args.json === undefined) args.json = jsonEnv
        const ctx = createContext(args, io)
        try {
          // HYPERNET_BOOTSTRAP stands for --bootstrap where a command takes it (never with --local);
          // config.json's list comes after the daemon's network (commandDht) and in start (withConfig)
          if (takesBootstrap && args.bootstrap === undefined && !args.local) args.bootstrap = envBootstrap()
          await def.run(ctx, args)
        } catch (err) {
          report(err, ctx.json)
        }
      }
    })
  }

  try {
    debug = envFlag(ENV.DEBUG)
    jsonEnv = envFlag(ENV.JSON)
    await parser.parseAsync()
  } catch (err) {
    if (!failed) report(err, argv.includes('--json') || (jsonEnv && !argv.includes('--no-json')))
  }
  return exitCode
}

function processIO(): CliIO {
  return { stdout: process.stdout, stderr: process.stderr, stdin: process.stdin, interactive: Boolean(process.stdin.isTTY && process.stderr.isTTY) }
}

/**
 * A folder the command had to make and could not (a `--home` under /proc, on a read-only disk,
 * below a file): a path the user gave, not a bug, so one line naming it rather than INTERNAL.
 */
function folderError(err: unknown): HypernetError | null {
  const e = err as NodeJS.ErrnoException
  if (e?.syscall !== 'mkdir' || !e.path || !['ENOENT', 'EACCES', 'EPERM', 'EROFS', 'ENOTDIR'].includes(e.code ?? '')) return null
  return new HypernetError('PATH_INVALID', `${e.path}: cannot make this folder (${e.code}); check --home and the paths given`)
}
