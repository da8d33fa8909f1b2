import type { HostInit } from '../../daemon/index.ts'
import type { HostStatus } from '../../daemon/index.ts'
import { formatId, parseKey } from '../../encoding/ids.ts'
import { HypernetError } from '../../errors.ts'
import { formatBridge } from './bridge.ts'

/** `start`'s relay options, and the status lines about bridges, paths and relays. */

export interface RelayArgs {
  relay?: boolean
  relayPort?: number
  relayMaxConnections?: number
  relayMaxBandwidth?: string
  useRelay?: string[]
}

/** Parse a byte rate: a number of bytes per second, optionally with K, M or G (powers of 1024). @throws USAGE */
export function parseByteRate(s: string, field: string): number {
  const m = /^(\d+(?:\.\d+)?)\s*([kmg]?)(?:i?b)?(?:\/s)?$/i.exec(s.trim())
  const n = m ? Number(m[1]) * 1024 ** ' kmg'.indexOf((m[2] || ' ').toLowerCase()) : NaN
  if (!m || !(n >= 1024)) throw HypernetError.USAGE(`${field}: expected bytes per second of at least 1K (e.g. 512K, 8M), got ${JSON.stringify(s)}`)
  return Math.floor(n)
}

/** The HostInit fields the relay options ask for. @throws USAGE, BAD_KEY */
export function relayInit(args: RelayArgs): Pick<HostInit, 'relay' | 'relays'> {
  const out: Pick<HostInit, 'relay' | 'relays'> = {}
  const relayOnly = args.relayPort !== undefined || args.relayMaxConnections !== undefined || args.relayMaxBandwidth !== undefined
  if (relayOnly && !args.relay) throw HypernetError.USAGE('--relay-port, --relay-max-connections, --relay-max-bandwidth: these need --relay')
  if (args.relay) {
    const limits: NonNullable<HostInit['relay']>['limits'] = {}
    if (args.relayMaxConnections !== undefined) {
      if (!Number.isInteger(args.relayMaxConnections) || args.relayMaxConnections < 1)
        throw HypernetError.USAGE(`--relay-max-connections: expected a positive whole number, got ${args.relayMaxConnections}`)
      limits.maxConnections = args.relayMaxConnections
    }
    if (args.relayMaxBandwidth !== undefined) limits.maxBytesPerSecond = parseByteRate(args.relayMaxBandwidth, '--relay-max-bandwidth')
    if (args.relayPort !== undefined && !(Number.isInteger(args.relayPort) && args.relayPort >= 1 && args.relayPort <= 65535)) {
      throw HypernetError.USAGE(`--relay-port: expected a UDP port from 1 to 65535, got ${args.relayPort}`)
    }
    out.relay = { port: args.relayPort, limits }
  }
  if (args.useRelay?.length)
    out.relays = args.useRelay
      .flatMap((s) => s.split(','))
      .filter(Boolean)
      .map((k) => formatId(parseKey(k, '--use-relay')))
  return out
}

/** Status lines: bridges with their connections, how service connections travel, relays. */
export function formatPaths(st: HostStatus): string[] {
  const lines: string[] = []
  if (st.services.some((s) => s.paths && s.connections > 0)) {
    lines.push('paths')
    for (const s of st.services)
      if (s.paths && s.connections > 0) lines.push(`  ${`${s.app}/${s.service}`.padEnd(18)} direct ${s.paths.direct}, relayed ${s.paths.relayed}`)
  }
  if (st.bridges && st.bridges.length) {
    lines.push('bridges')
    for (const b of st.bridges) lines.push(...formatBridge(b))
  }
  const r = st.relays
  if (r) {
    const offer = r.offering
    if (offer) {
      lines.push(`relay     offering ${offer.key} at ${offer.address ?? 'an unknown address'}${offer.firewalled ? ' (firewalled: few peers can use it)' : ''}`)
      lines.push(
        `          ${offer.connections}/${offer.limits.maxConnections} relayed connections, ${offer.sessions} sessions, ${offer.bytesPerSecond} B/s of ${offer.limits.maxBytesPerSecond}; refused ${Object.entries(
          offer.refused
        )
          .map(([k, v]) => `${k} ${v}`)
          .join(', ')}`
      )
    }
    lines.push(`relays    ${r.known.length} known${r.known.length ? `: ${r.known.map((k) => k.key.slice(0, 16) + '…').join(', ')}` : ''}`)
  }
  return lines
}
