import { join } from 'node:path'
import { isLive } from '../../control/index.ts'
import { installExamples } from '../../demo/index.ts'
import { HypernetError } from '../../errors.ts'
import { homePaths } from '../../home.ts'
import { packageRoot } from '../../util/package-root.ts'
import type { InstallOutcome } from '../../store/index.ts'
import type { CliContext } from '../context.ts'
import { start } from './daemon.ts'

/**
 * Install the example apps (signed by an `examples` key kept in the home, and trusted) and run
 * the host on an embedded local network. The home is `.hypernet-dev` in the checkout unless
 * one was chosen, so the demo never touches a real host's home.
 * @throws DAEMON_RUNNING before anything is installed, and what start throws
 */
export async function demo(ctx: CliContext, args: { home?: string; web?: string }): Promise<void> {
  if (!args.home && !process.env.HYPERNET_HOME) ctx.paths = homePaths(join(packageRoot(), '.hypernet-dev'))
  // checked before installing: start would refuse only after the examples were signed again
  if (await isLive(ctx.paths.socket)) throw HypernetError.DAEMON_RUNNING(ctx.paths.socket)
  const out = await installExamples(ctx.paths.home)
  for (const o of out) ctx.say(demoLine(o))
  await start(ctx, { local: true, ...(args.web !== undefined ? { web: args.web } : {}) })
}

/** What demo says of one example: what was done to it, or that it was already there. */
export function demoLine(o: InstallOutcome): string {
  return o.status === 'unchanged' ? `${o.app.name} ${o.app.version} already installed` : `${o.status} ${o.app.name} ${o.app.version}`
}
