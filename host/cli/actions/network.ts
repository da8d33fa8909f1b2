import type DHT from 'hyperdht'
import { callDaemon, daemonRunning } from '../../control/index.ts'
import { bindDhtNode, createDhtNode, parseBootstrap } from '../../net/index.ts'
import type { CliContext } from '../context.ts'

/**
 * A DHT node for a command that runs without the daemon: bootstrapped from `--bootstrap`, or,
 * when a daemon runs on this home, from the daemon's own network (so commands next to a
 * `start --local` daemon find its embedded network), else the public network.
 */
export async function commandDht(ctx: CliContext, bootstrapArg: string[] | undefined, opts: { waitForBootstrap?: boolean } = {}): Promise<DHT> {
  let bootstrap = parseBootstrap(bootstrapArg)
  if (!bootstrap && (await daemonRunning(ctx.paths.socket))) {
    const st = await callDaemon<{ network: { bootstrap: string[] } }>(ctx.paths.socket, 'status')
    bootstrap = parseBootstrap(st.network.bootstrap)
  }
  return opts.waitForBootstrap === false ? bindDhtNode({ bootstrap }) : createDhtNode({ bootstrap })
}
