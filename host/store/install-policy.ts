import { HypernetError } from '../errors.ts'
import { formatId, parseKey } from '../encoding/ids.ts'
import { signedDigest } from '../manifest/index.ts'
import type { Manifest } from '../manifest/index.ts'

/**
 * The install policy, one function for local files and the network alike (TUF's attacks):
 * - the first install of an app name pins its publisher; another publisher for that name is
 *   refused (PUBLISHER_CHANGED) unless the caller passes `replacePublisher`;
 * - a lower version than the installed one is a rollback (DOWNGRADE) unless `allowDowngrade`;
 * - the same version with other code, or other signed terms, is mix-and-match (VERSION_CONFLICT);
 * - a newer manifest for the same code (bumped version, later expiry) replaces the old one, so an
 *   expired app can be renewed without new code; an older one changes nothing.
 * Versions compare by semantic-versioning precedence.
 */

export type InstallKind = 'install' | 'upgrade' | 'renew' | 'unchanged' | 'downgrade' | 'replace-publisher'

export interface InstalledRef {
  version: string
  codeHash: string
  publisher: string
  manifest: Manifest
}

export interface PolicyOptions {
  allowDowngrade?: boolean
  replacePublisher?: boolean
}

export interface InstallPlan {
  kind: InstallKind
  /** The publisher this name was pinned to, when it differs from the new one. */
  previousPublisher?: string
}

/**
 * Decide what installing `manifest` (code `codeHash`, hex) over `installed` means.
 * @throws PUBLISHER_CHANGED, DOWNGRADE, VERSION_CONFLICT
 */
export function planInstall(
  manifest: Manifest,
  codeHash: string,
  installed: InstalledRef | null,
  pinned: string | null,
  opts: PolicyOptions = {}
): InstallPlan {
  const name = manifest.app.name
  const publisher = formatId(parseKey(manifest.publisher, 'publisher'))
  const pin = pinned ?? installed?.publisher ?? null
  if (pin && pin !== publisher) {
    if (!opts.replacePublisher) throw HypernetError.PUBLISHER_CHANGED(name, pin, publisher)
    return { kind: 'replace-publisher', previousPublisher: pin }
  }
  if (!installed) return { kind: 'install' }
  const cmp = compareVersions(manifest.app.version, installed.version)
  if (installed.codeHash === codeHash) {
    if (cmp < 0) {
      if (!opts.allowDowngrade) throw HypernetError.DOWNGRADE(name, installed.version, manifest.app.version)
      return { kind: 'downgrade' }
    }
    if (cmp > 0) return { kind: 'renew' }
    if (manifest.signature === installed.manifest.signature) return { kind: 'unchanged' }
    if (!sameTermsButExpiry(manifest, installed.manifest)) throw HypernetError.VERSION_CONFLICT(name, manifest.app.version, codeHash, codeHash)
    return expiresLater(manifest, installed.manifest) ? { kind: 'renew' } : { kind: 'unchanged' }
  }
  if (cmp === 0) throw HypernetError.VERSION_CONFLICT(name, manifest.app.version, installed.codeHash, codeHash)
  if (cmp < 0) {
    if (!opts.allowDowngrade) throw HypernetError.DOWNGRADE(name, installed.version, manifest.app.version)
    return { kind: 'downgrade' }
  }
  return { kind: 'upgrade' }
}

/** Semantic-versioning precedence of two `x.y.z[-pre]` versions (the manifest schema's form): -1, 0 or 1. */
export function compareVersions(a: string, b: string): number {
  const [ca, pa] = split(a)
  const [cb, pb] = split(b)
  for (let i = 0; i < 3; i++) if (ca[i] !== cb[i]) return ca[i] < cb[i] ? -1 : 1
  if (pa === null || pb === null) return pa === pb ? 0 : pa === null ? 1 : -1
  const xa = pa.split('.')
  const xb = pb.split('.')
  for (let i = 0; i < Math.max(xa.length, xb.length); i++) {
    if (xa[i] === undefined) return -1
    if (xb[i] === undefined) return 1
    const na = /^[0-9]+$/.test(xa[i])
    const nb = /^[0-9]+$/.test(xb[i])
    if (na && nb && Number(xa[i]) !== Number(xb[i])) return Number(xa[i]) < Number(xb[i]) ? -1 : 1
    if (na !== nb) return na ? -1 : 1
    if (xa[i] !== xb[i]) return xa[i] < xb[i] ? -1 : 1
  }
  return 0
}

function split(v: string): [number[], string | null] {
  const dash = v.indexOf('-')
  const core = (dash === -1 ? v : v.slice(0, dash)).split('.').map(Number)
  return [core, dash === -1 ? null : v.slice(dash + 1)]
}

function sameTermsButExpiry(a: Manifest, b: Manifest): boolean {
  const strip = (m: Manifest) => {
    const { signature: _s, expires: _e, ...body } = m
    return signedDigest(body)
  }
  return strip(a).equals(strip(b))
}

function expiresLater(a: Manifest, b: Manifest): boolean {
  if (a.expires === undefined) return b.expires !== undefined
  if (b.expires === undefined) return false
  return Date.parse(a.expires) > Date.parse(b.expires)
}
