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

/** The one line a failed command printed on stderr (asserting there is exactly one). */
export function oneLine(stderr: string): string {
  const lines = stderr.trimEnd().split('\n')
  if (lines.length !== 1) throw new Error(`expected one line on stderr, got: ${stderr}`)
  return lines[0]
}
