import { HypernetError } from '../errors.ts'
import { WEB_ADDRESS_EXPECTED, isLoopback, readLoopbackAddress } from '../util/loopback-address.ts'

export { isLoopback }

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

/**
 * Read `host:port` (IPv6 as `[::1]:49740`): a loopback address or `localhost`, a TCP port 1 to 65535.
 * @throws USAGE naming `field`
 */
export function parseWebAddress(raw: string, field = '--web'): WebAddress {
  const address = readLoopbackAddress(raw)
  if (!address) throw HypernetError.USAGE(`${field}: ${WEB_ADDRESS_EXPECTED}, got ${JSON.stringify(raw)}`)
  return address
}
