import { RC } from '../../abi.ts'
import { formatId } from '../../encoding/ids.ts'
import type { DialGrants } from '../dial-grants.ts'
import type { KvStore } from '../kv-store.ts'
import { RUNTIME_LIMITS } from '../plugin-limits.ts'
import { FROM_WORKER } from '../protocol.ts'
import type { Outbox } from '../outbox.ts'
import type { Guest } from './guest.ts'
import type { WorkerConns } from './worker-conns.ts'
import type { WorkerMeshes } from './worker-meshes.ts'
import type { LineBudget } from '../line-budget.ts'
import type { WorkerTimers } from './worker-timers.ts'

/**
 * The host functions of ABI v1 (module `extism:host/user`). Each is synchronous, returns at
 * once, copies what it needs out of plugin memory before returning, and checks the manifest's
 * grant first: a call it does not permit returns EDENIED and is logged (rate-limited).
 */

export interface HostFunctionContext {
  guest: () => Guest
  conns: WorkerConns
  grants: DialGrants
  /** Answers hn_mesh_join and hn_mesh_leave; made with the same `denied` as the other calls. */
  meshes: (denied: (what: string) => number) => WorkerMeshes
  /** null: the manifest grants no storage. */
  kv: KvStore | null
  /** null: the manifest grants no timers. */
  timers: WorkerTimers | null
  out: Outbox
  lines: LineBudget
}

const utf8 = new TextDecoder('utf-8', { fatal: true })
const utf8Lossy = new TextDecoder('utf-8')

type HostFn = (...args: number[]) => number

export function createHostFunctions(h: HostFunctionContext): Record<string, HostFn> {
  // plugin log lines and denials share one budget, so neither can flood the host's log; the
  // host thread counts what was dropped with its own (see PLUGIN_LOG) and says so
  const dropped = (n: number): void => h.out.push(FROM_WORKER.DROPPED, n, 0)
  const log = (level: number, msg: string): void => {
    if (h.lines.take(dropped)) h.out.push(FROM_WORKER.LOG, level, msg)
  }
  const denied = (what: string): number => {
    if (h.lines.take(dropped)) h.out.push(FROM_WORKER.DENIED, 0, what)
    return RC.EDENIED
  }
  const meshes = h.meshes(denied)
  /** The UTF-8 target at (ptr, len), or null when it is out of memory, too long or not UTF-8. */
  const target = (ptr: number, len: number): string | null => {
    if (len < 1 || len > RUNTIME_LIMITS.maxTargetBytes) return null
    const bytes = h.guest().view(ptr, len)
    if (bytes === null) return null
    try {
      return utf8.decode(bytes)
    } catch {
      return null
    }
  }
  const key = (ptr: number, len: number): Uint8Array | null =>
    len < 1 || len > RUNTIME_LIMITS.maxKeyBytes ? null : h.guest().view(ptr, len)

  return {
    hn_send: (conn, ptr, len) => h.conns.send(conn, ptr, len),
    hn_close: (conn) => h.conns.close(conn),
    hn_pause: (conn, paused) => h.conns.pause(conn, paused),

    hn_connect: (ptr, len) => {
      if (len < 1 || len > RUNTIME_LIMITS.maxTargetBytes) return RC.EINVAL
      const bytes = h.guest().view(ptr, len)
      if (bytes === null) return RC.EINVAL
      let raw: string
      try {
        raw = utf8.decode(bytes)
      } catch {
        return RC.EINVAL
      }
      const check = h.grants.check(raw)
      if (!check.ok) return check.rc === RC.EDENIED ? denied(check.why) : check.rc
      const t = check.target
      return h.conns.connect({ raw: t.raw, serviceHash: formatId(t.serviceHash), serviceKey: t.serviceKey ? formatId(t.serviceKey) : null, self: t.self })
    },

    hn_mesh_join: (ptr, len) => {
      const raw = target(ptr, len)
      return raw === null ? RC.EINVAL : meshes.join(raw)
    },
    hn_mesh_leave: (ptr, len) => {
      const raw = target(ptr, len)
      return raw === null ? RC.EINVAL : meshes.leave(raw)
    },

    hn_timer_set: (ms, repeat) => (h.timers ? h.timers.set(ms, repeat) : denied('setting a timer')),
    hn_timer_clear: (id) => (h.timers ? h.timers.clear(id) : denied('clearing a timer')),

    hn_store_get: (kptr, klen, vptr, vcap) => {
      if (h.kv === null) return denied('reading storage')
      const k = key(kptr, klen)
      if (k === null || vcap < 0) return RC.EINVAL
      const value = h.kv.get(k)
      if (value === null) return RC.ENOTFOUND
      if (value.byteLength <= vcap) {
        const dst = h.guest().view(vptr, value.byteLength)
        if (dst === null) return RC.EINVAL
        dst.set(value)
      }
      return value.byteLength
    },

    hn_store_put: (kptr, klen, vptr, vlen) => {
      if (h.kv === null) return denied('writing storage')
      const k = key(kptr, klen)
      if (k === null || vlen < 0 || vlen > RUNTIME_LIMITS.maxValueBytes) return RC.EINVAL
      const v = h.guest().view(vptr, vlen)
      if (v === null) return RC.EINVAL
      try {
        return h.kv.put(k, v) ? 0 : RC.ENOSPACE
      } catch (err: any) {
        // the disk, not the plugin: tell the operator, give the plugin a code it can act on
        h.out.push(FROM_WORKER.LOG, 3, `host: storage write failed: ${err?.message ?? err}`)
        return err?.code === 'ENOSPC' || err?.code === 'EDQUOT' ? RC.ENOSPACE : RC.EINVAL
      }
    },

    hn_store_delete: (kptr, klen) => {
      if (h.kv === null) return denied('deleting from storage')
      const k = key(kptr, klen)
      if (k === null) return RC.EINVAL
      return h.kv.delete(k) ? 0 : RC.ENOTFOUND
    },

    hn_log: (level, ptr, len) => {
      if (len < 0) return RC.EINVAL
      const bytes = h.guest().view(ptr, Math.min(len, RUNTIME_LIMITS.maxLogBytes))
      if (bytes === null) return RC.EINVAL
      log(Math.min(3, Math.max(0, level)), utf8Lossy.decode(bytes))
      return 0
    },

    hn_now_ms: () => Date.now(),

    hn_random: (ptr, len) => {
      if (len < 0 || len > RUNTIME_LIMITS.maxRandomBytes) return RC.EINVAL
      const dst = h.guest().view(ptr, len)
      if (dst === null) return RC.EINVAL
      crypto.getRandomValues(dst)
      return 0
    }
  }
}
