import { RC } from '../abi.ts'
import { decodeId, formatId } from '../encoding/ids.ts'
import { serviceHash } from '../manifest/index.ts'
import type { ManifestBody } from '../manifest/index.ts'
import type { DialTarget } from './types.ts'

/**
 * Which `hn_connect` targets an app may reach: its manifest's `permissions.dial`.
 *
 * Accepted grant forms: `self/<service>` (a service this same app declares), a service hash
 * (64 hex or 52 z32 characters), `anonymous/<service hash>`, and `hidden/<hidden key>`.
 * Accepted targets: `self/<service>`, `<service hash>`, `<service hash>@<service key>`, the same
 * two behind `anonymous/` (the host dials through an onion circuit; see README "Anonymous
 * routing"), and `hidden/<hidden key>` (a hidden service, met at a rendezvous relay). A target
 * is allowed when it is granted in the same form: an anonymous grant allows only anonymous
 * dials (the app asked never to be seen dialing it), a plain grant only plain ones, a hidden
 * grant only that hidden key; a `self/<name>` grant also grants that service's hash. Empty or
 * absent list: deny all.
 */

/** The target prefix that asks for an anonymous connection (the raw target keeps it). */
export const ANONYMOUS_PREFIX = 'anonymous/'
/** The target prefix of a hidden service key (a DialTarget whose serviceHash and serviceKey are that key). */
export const HIDDEN_PREFIX = 'hidden/'

export type DialCheck =
  | { ok: true; target: DialTarget }
  | { ok: false; rc: number; why: string }

export interface DialGrants {
  check(raw: string): DialCheck
}

/** Grants for `manifest`, whose code hashes to `codeHashHex` (what `self/` resolves against). */
export function createDialGrants(manifest: ManifestBody, codeHashHex: string): DialGrants {
  const code = Buffer.from(codeHashHex, 'hex')
  const services = new Set((manifest.services ?? []).map((s) => s.name))
  const selfGrants = new Set<string>()
  const allowed = new Set<string>()
  const anonymous = new Set<string>()
  const hidden = new Set<string>()
  for (const entry of manifest.permissions?.dial ?? []) {
    if (entry.startsWith(HIDDEN_PREFIX)) {
      const k = decodeId(entry.slice(HIDDEN_PREFIX.length))
      if (k) hidden.add(formatId(k))
    } else if (entry.startsWith(ANONYMOUS_PREFIX)) {
      const h = decodeId(entry.slice(ANONYMOUS_PREFIX.length))
      if (h) anonymous.add(formatId(h))
    } else if (entry.startsWith('self/')) {
      const name = entry.slice(5)
      selfGrants.add(name)
      if (services.has(name)) allowed.add(formatId(serviceHash(code, name)))
    } else {
      const h = decodeId(entry)
      if (h) allowed.add(formatId(h))
    }
  }

  return {
    check(raw: string): DialCheck {
      if (raw.startsWith('self/')) {
        // the grant is checked first: an app granted nothing learns nothing about its services
        const name = raw.slice(5)
        const hash = services.has(name) ? serviceHash(code, name) : null
        if (!selfGrants.has(name) && !(hash && allowed.has(formatId(hash)))) return { ok: false, rc: RC.EDENIED, why: `dialing "${raw}"` }
        if (hash === null) return { ok: false, rc: RC.ENOTFOUND, why: `"${raw}" names no service of this app` }
        return { ok: true, target: { raw, serviceHash: hash, serviceKey: null, self: name } }
      }
      if (raw.startsWith(HIDDEN_PREFIX)) {
        const key = decodeId(raw.slice(HIDDEN_PREFIX.length))
        if (key === null) return { ok: false, rc: RC.EINVAL, why: `malformed target "${raw}" (expected hidden/<hidden key>)` }
        if (!hidden.has(formatId(key))) return { ok: false, rc: RC.EDENIED, why: `dialing "${raw}"` }
        return { ok: true, target: { raw, serviceHash: key, serviceKey: key, self: null } }
      }
      const anon = raw.startsWith(ANONYMOUS_PREFIX)
      const rest = anon ? raw.slice(ANONYMOUS_PREFIX.length) : raw
      const at = rest.indexOf('@')
      const hash = decodeId(at === -1 ? rest : rest.slice(0, at))
      const key = at === -1 ? null : decodeId(rest.slice(at + 1))
      if (hash === null || (at !== -1 && key === null)) {
        return { ok: false, rc: RC.EINVAL, why: `malformed target "${raw}" (expected self/<service>, <service hash> or <service hash>@<service key>, optionally behind anonymous/)` }
      }
      if (!(anon ? anonymous : allowed).has(formatId(hash))) return { ok: false, rc: RC.EDENIED, why: `dialing "${raw}"` }
      return { ok: true, target: { raw, serviceHash: hash, serviceKey: key, self: null } }
    }
  }
}
