import { PassThrough } from 'node:stream'
import { runCli } from '../../host/cli/main.ts'

export interface CliResult {
  code: number
  stdout: string
  stderr: string
}

/** Run the CLI in-process with captured output; `answer` is typed at a prompt if interactive. */
export async function cli(home: string, argv: string[], opts: { interactive?: boolean; answer?: string } = {}): Promise<CliResult> {
  const stdout = new PassThrough()
  const stderr = new PassThrough()
  const stdin = new PassThrough()
  let out = ''
  let err = ''
  stdout.on('data', (d) => (out += d))
  stderr.on('data', (d) => (err += d))
  if (opts.answer !== undefined) stdin.end(opts.answer + '\n')
  const code = await runCli(['--home', home, ...argv], { stdout, stderr, stdin, interactive: opts.interactive ?? false })
  return { code, stdout: out, stderr: err }
}
