import { RC } from '../../abi.ts'
import { MESH } from '../../constants.ts'
import { formatId } from '../../encoding/ids.ts'
import type { MeshGrants } from '../mesh-grants.ts'
import type { Outbox } from '../outbox.ts'
import { FROM_WORKER } from '../protocol.ts'

/**
 * The meshes a plugin joined, as its worker answers hn_mesh_join and hn_mesh_leave: grants are
 * checked here, at once; the host thread does the joining. Joining a target already joined
 * returns its id again; a mesh is named by the target string the plugin gave.
 */
export class WorkerMeshes {
  private readonly joined = new Map<string, number>()
  private nextId = 1

  constructor(private readonly grants: MeshGrants, private readonly out: Outbox, private readonly denied: (what: string) => number) {}

  /** A mesh id (> 0), or EINVAL, EDENIED, ENOTFOUND, ELIMIT. */
  join(raw: string): number {
    const check = this.grants.check(raw)
    if (!check.ok) return check.rc === RC.EDENIED ? this.denied(check.why) : check.rc
    const known = this.joined.get(raw)
    if (known !== undefined) return known
    if (this.joined.size >= MESH.maxPerPlugin) return RC.ELIMIT
    const id = this.nextId++
    this.joined.set(raw, id)
    this.out.push(FROM_WORKER.MESH_JOIN, id, { raw, serviceHash: formatId(check.target.serviceHash) })
    return id
  }

  /** 0, or ENOTFOUND when `raw` is not joined. */
  leave(raw: string): number {
    const id = this.joined.get(raw)
    if (id === undefined) return RC.ENOTFOUND
    this.joined.delete(raw)
    this.out.push(FROM_WORKER.MESH_LEAVE, id, 0)
    return 0
  }
}
