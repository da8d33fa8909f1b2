import { join } from 'node:path'
import { installExamples } from '../../demo/index.ts'
import { homePaths } from '../../home.ts'
import { packageRoot } from '../../util/package-root.ts'
import type { CliContext } from '../context.ts'
import { start } from './daemon.ts'

/**
 * Install the example apps (signed by an `examples` key kept in the home, and trusted) and run
 * the host on an embedded local network. The home is `.hypernet-dev` in the checkout unless
 * one was chosen, so the demo never touches a real host's home.
 */
export async function demo(ctx: CliContext, args: { home?: string; web?: string }): Promise<void> {
  if (!args.home && !process.env.HYPERNET_HOME) ctx.paths = homePaths(join(packageRoot(), '.hypernet-dev'))
  const out = await installExamples(ctx.paths.home)
  for (const o of out) ctx.say(`${o.status === 'unchanged' ? 'installed' : o.status} ${o.app.name} ${o.app.version}`)
  await start(ctx, { local: true, ...(args.web !== undefined ? { web: args.web } : {}) })
}
