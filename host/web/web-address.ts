import { isIP } from 'node:net'
import { HypernetError } from '../errors.ts'

/**
 * Where `start --web` serves the page. Loopback only: the page has no TLS, so a token sent over
 * a LAN could be read off the wire; reach it from another machine through an SSH tunnel. A fixed
 * default port keeps the URL (and so a bookmark of it) the same across restarts.
 */
export const DEFAULT_WEB_ADDRESS = '127.0.0.1:49740'

export interface WebAddress {
  /** A loopback IP address (IPv6 without brackets) or `localhost`. */
  host: string
  /** A TCP port; 0 (tests only, not from the CLI) picks a free one. */
  port: number
}

/** True for 127.0.0.0/8, ::1 and `localhost`. */
export function isLoopback(host: string): boolean {
  if (host === 'localhost') return true
  if (isIP(host) === 4) return host.startsWith('127.')
  return isIP(host) === 6 && (host === '::1' || host === '0:0:0:0:0:0:0:1')
}

/**
 * Read `host:port` (IPv6 as `[::1]:49740`): a loopback address or `localhost`, a TCP port 1 to 65535.
 * @throws USAGE naming `field`
 */
export function parseWebAddress(raw: string, field = '--web'): WebAddress {
  const m = /^(?:\[([^\]]+)\]|([^:[\]\s]+)):(\d{1,5})$/.exec(raw.trim())
  const host = m ? (m[1] ?? m[2]) : ''
  const port = m ? Number(m[3]) : NaN
  if (!m || !(port >= 1 && port <= 65535) || !isLoopback(host))
    throw HypernetError.USAGE(
      `${field}: expected a loopback address to serve the web page at, such as ${DEFAULT_WEB_ADDRESS}, localhost:8080 or [::1]:8080 (the page has no TLS: reach it from elsewhere through an SSH tunnel), got ${JSON.stringify(raw)}`
    )
  return { host, port }
}
