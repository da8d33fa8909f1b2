import { isIP } from 'node:net'
import { HypernetError } from '../errors.ts'

/**
 * Local TCP addresses as people type them: `host:port`, `[v6]:port`, or (where a default host
 * applies) a bare port. Ports are 1-65535; hosts are IP literals or plain DNS names.
 */

export interface TcpAddress {
  host: string
  port: number
}

const HOSTNAME = /^(?=.{1,253}$)[a-zA-Z0-9]([a-zA-Z0-9-]{0,62})(\.[a-zA-Z0-9]([a-zA-Z0-9-]{0,62}))*$/

/** Parse a port number. @throws USAGE naming `field` */
export function parsePort(value: unknown, field: string): number {
  const n = typeof value === 'string' && /^\d{1,5}$/.test(value.trim()) ? Number(value) : value
  if (typeof n !== 'number' || !Number.isInteger(n) || n < 1 || n > 65535) {
    throw HypernetError.USAGE(`${field}: expected a TCP port from 1 to 65535, got ${JSON.stringify(value ?? null)}`)
  }
  return n
}

/** Parse a host name or IP literal. @throws USAGE naming `field` */
export function parseHost(value: unknown, field: string): string {
  const h = typeof value === 'string' ? value.trim().replace(/^\[(.*)\]$/, '$1') : ''
  if (!h || !(isIP(h) || HOSTNAME.test(h))) throw HypernetError.USAGE(`${field}: expected a host name or IP address, got ${JSON.stringify(value ?? null)}`)
  return h
}

/** Parse `host:port` (or `[v6]:port`). @throws USAGE naming `field` */
export function parseHostPort(value: unknown, field: string): TcpAddress {
  const s = typeof value === 'string' ? value.trim() : ''
  const m = /^(\[[^\]]+\]|[^:]+):([^:]*)$/.exec(s)
  if (!m) throw HypernetError.USAGE(`${field}: expected host:port (e.g. 127.0.0.1:8080), got ${JSON.stringify(value ?? null)}`)
  return { host: parseHost(m[1], field), port: parsePort(m[2], field) }
}

/** `host:port`, with brackets around an IPv6 literal. */
export function formatHostPort(a: TcpAddress): string {
  return isIP(a.host) === 6 ? `[${a.host}]:${a.port}` : `${a.host}:${a.port}`
}
