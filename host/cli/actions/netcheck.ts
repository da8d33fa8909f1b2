import { HypernetError } from '../../errors.ts'
import { netcheck } from '../../net/index.ts'
import type { NetcheckReport } from '../../net/index.ts'
import type { CliContext } from '../context.ts'
import { commandDht } from './network.ts'

/**
 * Run a fresh DHT node (on `--bootstrap`, else the daemon's network, else the public one) and
 * report what it learns about this network.
 * @throws USAGE; TIMEOUT when no DHT node answered
 */
export async function netcheckCmd(ctx: CliContext, args: { bootstrap?: string[]; timeout: number }): Promise<void> {
  if (!(args.timeout > 0)) throw HypernetError.USAGE(`--timeout: expected a positive number of seconds, got ${args.timeout}`)
  // netcheck waits for the bootstrap itself, within --timeout
  const dht = await commandDht(ctx, args.bootstrap, { waitForBootstrap: false })
  let report: NetcheckReport
  try {
    report = await netcheck(dht, { timeoutMs: args.timeout * 1000 })
  } finally {
    await dht.destroy()
  }
  if (!report.bootstrapped)
    throw HypernetError.TIMEOUT(`netcheck: no DHT node answered within ${args.timeout} s (check --bootstrap and that UDP is not blocked)`)
  ctx.data(report, () => formatNetcheck(report))
}

export function formatNetcheck(r: NetcheckReport): string[] {
  return [
    `reachable   ${r.reachable ? 'yes: peers can connect to this host unasked' : 'no: firewalled (peers reach it by hole punching or a relay)'}`,
    `NAT         ${r.nat}${r.samples ? ` (${r.samples} samples)` : ''}`,
    `public      ${r.publicAddress ?? 'unknown'}   local ${r.localAddress ?? 'unknown'}`,
    `holepunch   ${r.holepunch}`,
    `relays      ${r.relays} found`,
    ...r.advice.map((a) => `- ${a}`)
  ]
}
