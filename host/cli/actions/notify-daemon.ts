import { callDaemon, daemonRunning } from '../../control/index.ts'
import type { CliContext } from '../context.ts'

/**
 * Tell a running daemon that the store changed, so install and uninstall take effect at once.
 * Returns 'applied', or 'no-daemon' when none runs (the change applies at the next start).
 */
export async function notifyDaemon(ctx: CliContext, _msg: { op: 'reload'; app: string }): Promise<'applied' | 'no-daemon'> {
  if (!(await daemonRunning(ctx.paths.socket))) return 'no-daemon'
  await callDaemon(ctx.paths.socket, 'reload')
  return 'applied'
}
