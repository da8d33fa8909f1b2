import type DHT from 'hyperdht'
import { callDaemon, daemonRunning } from '../../control/index.ts'
import { bindDhtNode, createDhtNode, parseBootstrap } from '../../net/index.ts'
import type { CliContext } from '../context.ts'
import type { LanStatus } from '../../net/index.ts'
import { readConfig } from '../../config/index.ts'
import { resolveBootstrap } from '../env.ts'

/**
 * A DHT node for a command that runs without the daemon: bootstrapped from `--bootstrap` (or
 * HYPERNET_BOOTSTRAP), or, when a daemon runs on this home, from the daemon's own network (so
 * commands next to a `start --local` daemon find its embedded network), else from config.json's
 * `bootstrap` list, else the public network.
 * @throws USAGE (bad address), CONFIG_INVALID
 */
export async function commandDht(ctx: CliContext, bootstrapArg: string[] | undefined, opts: { waitForBootstrap?: boolean } = {}): Promise<DHT> {
  let bootstrap = parseBootstrap(bootstrapArg)
  if (!bootstrap && (await daemonRunning(ctx.paths.socket))) {
    const st = await callDaemon<{ network: { bootstrap: string[]; lan?: LanStatus } }>(ctx.paths.socket, 'status')
    // a daemon with LAN discovery: its LAN node and the ones it found are DHT nodes to start from
    const lan = st.network.lan ? [`${st.network.lan.address}:${st.network.lan.port}`, ...st.network.lan.peers.map((p) => `${p.host}:${p.port}`)] : []
    bootstrap = parseBootstrap([...st.network.bootstrap, ...lan])
  }
  bootstrap ??= parseBootstrap(resolveBootstrap(undefined, (await readConfig(ctx.paths.config)).bootstrap, {}))
  return opts.waitForBootstrap === false ? bindDhtNode({ bootstrap }) : createDhtNode({ bootstrap })
}
