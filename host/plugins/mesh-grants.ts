import { RC } from '../abi.ts'
import { decodeId, formatId } from '../encoding/ids.ts'
import { serviceHash } from '../manifest/index.ts'
import type { ManifestBody } from '../manifest/index.ts'
import type { MeshTarget } from './types.ts'

/**
 * Which meshes an app may join (`hn_mesh_join`): its manifest's `permissions.mesh`.
 *
 * Accepted grant forms: `self/<service>` (a service this same app declares: the mesh of its own
 * instances on other hosts) and a service hash (64 hex or 52 z32 characters). Accepted targets:
 * the same two forms; a `self/<name>` grant also grants that service's hash, and a hash grant
 * that names one of the app's own services also grants `self/<name>`. Empty or absent list:
 * deny all. Peers are hosts whose signed descriptor vouches for the hash, whatever the form.
 */

export type MeshCheck =
  | { ok: true; target: MeshTarget }
  | { ok: false; rc: number; why: string }

export interface MeshGrants {
  check(raw: string): MeshCheck
}

/** Grants for `manifest`, whose code hashes to `codeHashHex` (what `self/` resolves against). */
export function createMeshGrants(manifest: ManifestBody, codeHashHex: string): MeshGrants {
  const code = Buffer.from(codeHashHex, 'hex')
  const services = new Set((manifest.services ?? []).map((s) => s.name))
  const allowed = new Set<string>()
  for (const entry of manifest.permissions?.mesh ?? []) {
    if (entry.startsWith('self/')) {
      const name = entry.slice(5)
      if (services.has(name)) allowed.add(formatId(serviceHash(code, name)))
    } else {
      const h = decodeId(entry)
      if (h) allowed.add(formatId(h))
    }
  }

  return {
    check(raw: string): MeshCheck {
      let hash: Buffer | null
      if (raw.startsWith('self/')) {
        const name = raw.slice(5)
        hash = services.has(name) ? serviceHash(code, name) : null
        if (hash === null) return { ok: false, rc: allowed.size ? RC.ENOTFOUND : RC.EDENIED, why: `joining the mesh "${raw}"` }
      } else {
        hash = decodeId(raw)
        if (hash === null) return { ok: false, rc: RC.EINVAL, why: `malformed mesh target "${raw}" (expected self/<service> or a service hash)` }
      }
      if (!allowed.has(formatId(hash))) return { ok: false, rc: RC.EDENIED, why: `joining the mesh "${raw}"` }
      return { ok: true, target: { raw, serviceHash: hash } }
    }
  }
}
