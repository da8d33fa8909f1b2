import type { IncomingHttpHeaders } from 'node:http'
import { tokenMatches } from './web-token.ts'
import { urlHost } from '../util/http-listen.ts'

/**
 * Who may read the page's data. Every request must name this server in its Host header (a web
 * page that rebinds its own DNS name to 127.0.0.1 still sends its own name: DNS rebinding gets
 * 403). An Origin header, when sent, must be this server's own (another site, or another port of
 * this machine, gets 403). The API also needs `Authorization: Bearer <token>`; nothing else
 * carries the token: no cookie (a cookie for 127.0.0.1 is sent to every port of it, so any local
 * server could collect it) and no query string (it would land in history and logs).
 */

export interface Refusal {
  status: 401 | 403
  why: string
}

/** The Host header values this server answers to: its loopback names with the port bound. */
export function allowedHosts(host: string, port: number): Set<string> {
  const names = new Set(['127.0.0.1', 'localhost', '[::1]', urlHost(host)])
  return new Set([...names].map((n) => `${n}:${port}`))
}

/** Why a request may not have what it asks, or null when it may. `token` null: a static file, no token needed. */
export function refusal(headers: IncomingHttpHeaders, hosts: Set<string>, token: string | null): Refusal | null {
  const host = (headers.host ?? '').toLowerCase()
  if (!hosts.has(host)) return { status: 403, why: 'the Host header does not name this server' }
  const origin = headers.origin
  if (origin !== undefined && !(origin.startsWith('http://') && hosts.has(origin.slice(7).toLowerCase())))
    return { status: 403, why: 'requests from other origins are refused' }
  if (headers['sec-fetch-site'] === 'cross-site') return { status: 403, why: 'requests from other sites are refused' }
  if (token === null) return null
  const m = /^Bearer ([0-9a-f]{64})$/i.exec(headers.authorization ?? '')
  if (!m || !tokenMatches(m[1].toLowerCase(), token)) return { status: 401, why: 'a token is needed: open the URL `start --web` printed' }
  return null
}
