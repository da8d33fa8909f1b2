import { isIP } from 'node:net'

/** True for 127.0.0.0/8, ::1 and `localhost`. */
export function isLoopback(host: string): boolean {
  if (host === 'localhost') return true
  if (isIP(host) === 4) return host.startsWith('127.')
  return isIP(host) === 6 && (host === '::1' || host === '0:0:0:0:0:0:0:1')
}

/**
 * Read `host:port` (IPv6 as `[::1]:49740`) where host is a loopback address or `localhost` and
 * port is 1 to 65535; null otherwise. One check for `start --web` and config.json's web.address,
 * so `config set` refuses what `start` would.
 */
export function readLoopbackAddress(raw: string): { host: string; port: number } | null {
  const m = /^(?:\[([^\]]+)\]|([^:[\]\s]+)):(\d{1,5})$/.exec(raw.trim())
  if (!m) return null
  const host = m[1] ?? m[2]
  const port = Number(m[3])
  return port >= 1 && port <= 65535 && isLoopback(host) ? { host, port } : null
}

/** What a web address must be, for errors about `--web` and web.address. */
export const WEB_ADDRESS_EXPECTED =
  'expected a loopback address to serve the web page at, such as 127.0.0.1:49740, localhost:8080 or [::1]:8080 (the page has no TLS: reach it from elsewhere through an SSH tunnel)'
