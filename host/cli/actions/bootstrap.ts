import { HypernetError } from '../../errors.ts'
import { parseBootstrap, startBootstrapNode } from '../../net/index.ts'
import { firstLanAddress, isLocalAddress } from '../../net/index.ts'
import type { CliContext } from '../context.ts'

/**
 * Run a bootstrap node until SIGINT or SIGTERM, then destroy it and return. Prints the address
 * others use once it is up (JSON with --json), and what it did when it stops.
 * @throws USAGE (bad --host, --port or --join; no address to serve on), ADDRESS_IN_USE
 */
export async function bootstrap(ctx: CliContext, args: { host?: string; port?: number; join?: string[]; nodes?: number }): Promise<void> {
  const port = args.port ?? 49737
  if (!(Number.isInteger(port) && port >= 1 && port <= 65535)) throw HypernetError.USAGE(`--port: expected a UDP port from 1 to 65535, got ${args.port}`)
  const host = args.host ?? firstLanAddress()
  if (!host) throw HypernetError.USAGE('--host: this machine has no IPv4 address besides loopback; name the address others reach it at')
  if (!/^\d{1,3}(\.\d{1,3}){3}$/.test(host) || host === '0.0.0.0')
    throw HypernetError.USAGE(`--host: expected the IPv4 address other machines reach this one at, got ${JSON.stringify(host)}`)
  if (!isLocalAddress(host)) ctx.io.stderr.write(`note: ${host} is not an address of this machine (fine behind a port forward; else peers cannot reach it)\n`)
  const size = args.nodes ?? 10
  if (!(Number.isInteger(size) && size >= 1 && size <= 64)) throw HypernetError.USAGE(`--nodes: expected a whole number from 1 to 64, got ${args.nodes}`)
  const join = parseBootstrap(args.join) ?? []
  let requestStop = (_why: string) => {}
  const stopped = new Promise<string>((resolve) => (requestStop = resolve))
  const onSigint = () => requestStop('SIGINT')
  const onSigterm = () => requestStop('SIGTERM')
  process.on('SIGINT', onSigint)
  process.on('SIGTERM', onSigterm)
  try {
    const node = await startBootstrapNode(host, port, join, size)
    try {
      const info = { address: node.address, nodes: node.nodes.length, join: join.map((j) => `${j.host}:${j.port}`), pid: process.pid }
      ctx.data({ running: true, ...info }, () => [
        `bootstrap node ${node.address} running with ${node.nodes.length - 1} more DHT nodes (pid ${process.pid}; a private HyperDHT network)`,
        ...(info.join.length ? [`joined     ${info.join.join(', ')}`] : []),
        'on every host of this network:',
        `  hypernet-host config set bootstrap ${node.address}`,
        `  (or --bootstrap ${node.address}, or HYPERNET_BOOTSTRAP=${node.address})`,
        'Stop with Ctrl-C or SIGTERM'
      ])
      const why = await stopped
      const nodes = node.dht.toArray().length
      await node.close()
      ctx.data({ running: false, address: node.address, why, nodes }, () => [`bootstrap node stopped (${why}); it knew ${nodes} DHT nodes`])
    } finally {
      await node.close()
    }
  } finally {
    process.off('SIGINT', onSigint)
    process.off('SIGTERM', onSigterm)
  }
}
