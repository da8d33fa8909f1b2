import type { CliContext } from '../context.ts'

/**
 * Tell a running daemon that the store changed, so install and uninstall take effect at once.
 * Returns 'applied', or 'no-daemon' when none runs (the change applies at the next start).
 */
export async function notifyDaemon(_ctx: CliContext, _msg: { op: 'reload'; app: string }): Promise<'applied' | 'no-daemon'> {
  // the daemon control socket arrives with the daemon itself; until then there is none to tell
  return 'no-daemon'
}
