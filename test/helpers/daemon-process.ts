import { spawn } from 'node:child_process'
import { fileURLToPath } from 'node:url'

/** The CLI entry point tests run as a real process. */
export const BIN = fileURLToPath(new URL('../../bin/hypernet-host.js', import.meta.url))

export interface DaemonProcess {
  /** Everything it printed on stdout until its banner's "Stop with" line (or its exit). */
  out: string
  /** Resolves with its exit code. */
  exited: Promise<number | null>
}

/**
 * Run `hypernet-host <args>` as a real process until its banner is out (or it exits, or
 * `timeoutMs` passes: the caller asserts on `out`); `defer` kills it if it is still running.
 */
export async function startDaemonProcess(
  args: string[],
  defer: (fn: () => unknown) => void,
  opts: { env?: NodeJS.ProcessEnv; timeoutMs?: number } = {}
): Promise<DaemonProcess> {
  const child = spawn(process.execPath, [BIN, ...args], { stdio: ['ignore', 'pipe', 'pipe'], ...(opts.env ? { env: opts.env } : {}) })
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)))
  defer(async () => {
    if (child.exitCode === null) child.kill('SIGKILL')
    await exited
  })
  let out = ''
  child.stdout.on('data', (d) => (out += d))
  const deadline = Date.now() + (opts.timeoutMs ?? 30_000)
  while (!out.includes('Stop with') && child.exitCode === null && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50))
  return { out, exited }
}
