import { isIP } from 'node:net'
import { HypernetError } from '../errors.ts'

/** Where `start --metrics` listens unless told: loopback only, Prometheus' port for exporters like this one. */
export const DEFAULT_METRICS_ADDRESS = '127.0.0.1:9464'

export interface MetricsAddress {
  /** An IP address (IPv6 without brackets) or `localhost`. */
  host: string
  /** A TCP port; 0 (tests only, not from the CLI) picks a free one. */
  port: number
}

/**
 * Read `host:port` (IPv6 as `[::1]:9464`): an IP address or `localhost`, a TCP port 1 to 65535.
 * @throws USAGE naming `field`
 */
export function parseMetricsAddress(raw: string, field = '--metrics'): MetricsAddress {
  const m = /^(?:\[([^\]]+)\]|([^:[\]\s]+)):(\d{1,5})$/.exec(raw.trim())
  const host = m ? (m[1] ?? m[2]) : ''
  const port = m ? Number(m[3]) : NaN
  const ipv6 = m?.[1] !== undefined
  const hostOk = ipv6 ? isIP(host) === 6 : host === 'localhost' || isIP(host) === 4
  if (!m || !hostOk || !(port >= 1 && port <= 65535))
    throw HypernetError.USAGE(`${field}: expected an address to serve metrics at, IP:port such as ${DEFAULT_METRICS_ADDRESS}, got ${JSON.stringify(raw)}`)
  return { host, port }
}
