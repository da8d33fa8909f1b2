import type DHT from 'hyperdht'
import { callDaemon, daemonRunning } from '../../control/index.ts'
import { HypernetError } from '../../errors.ts'
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
 * @throws USAGE (bad address), CONFIG_INVALID, TIMEOUT (no DHT node answered the bootstrap)
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
  if (opts.waitForBootstrap === false) return bindDhtNode({ bootstrap })
  const dht = await createDhtNode({ bootstrap })
  // no node answered: every walk would wait out its timeouts (a lookup took 24 s, a connect 29 s
  // past its --timeout 5) and then blame the peer. A new network's first node ([]) is alone by design.
  if (dht.toArray().length === 0 && bootstrap?.length !== 0) {
    await dht.destroy()
    const from = bootstrap ? bootstrap.map((b) => `${b.host}:${b.port}`).join(', ') : 'the public HyperDHT network'
    throw HypernetError.TIMEOUT(`no DHT node answered the bootstrap (${from}): is this machine offline? check --bootstrap and that UDP is not blocked`)
  }
  return dht
}
