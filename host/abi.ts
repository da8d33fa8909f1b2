/**
 * The plugin ABI v1 surface as data (sdk/ABI.md is the prose): what a module may import, and
 * what it must export. The audit and the runtime both read these tables, so they cannot drift.
 */

import { LIMITS } from './constants.ts'

/** Module name of the host functions. */
export const HOST_MODULE = 'extism:host/user'
/** Extism's own kernel functions; offered by Extism itself. */
export const EXTISM_ENV_MODULE = 'extism:host/env'
/** Extism kernel functions that would reach the network around the host: never offered. */
export const EXTISM_ENV_DENIED = ['http_request', 'http_status_code', 'http_headers']

/** Host functions of ABI v1, by name, with the permission each needs (null: always allowed). */
export const HOST_FUNCTIONS: Record<string, { permission: 'dial' | 'mesh' | 'storage' | 'timers' | null; summary: string }> = {
  hn_send: { permission: null, summary: 'send bytes on a connection' },
  hn_close: { permission: null, summary: 'close a connection' },
  hn_pause: { permission: null, summary: 'pause or resume reading a connection' },
  hn_connect: { permission: 'dial', summary: 'connect to another service' },
  hn_mesh_join: { permission: 'mesh', summary: "join a service's mesh: a connection to each host running it" },
  hn_mesh_leave: { permission: 'mesh', summary: "leave a service's mesh" },
  hn_timer_set: { permission: 'timers', summary: 'set a timer' },
  hn_timer_clear: { permission: 'timers', summary: 'clear a timer' },
  hn_store_get: { permission: 'storage', summary: 'read from app storage' },
  hn_store_put: { permission: 'storage', summary: 'write to app storage' },
  hn_store_delete: { permission: 'storage', summary: 'delete from app storage' },
  hn_log: { permission: null, summary: 'write to the host log' },
  hn_now_ms: { permission: null, summary: 'read the clock' },
  hn_random: { permission: null, summary: 'read random bytes' }
}

/** Exports every plugin needs. */
export const REQUIRED_EXPORTS = ['memory', 'hn_abi_version', 'hn_buffer', 'hn_on_start']
/** Exports needed when the app vends a service, dials one or joins a mesh. */
export const CONNECTION_EXPORTS = ['hn_on_open', 'hn_on_data', 'hn_on_close']
/** Export needed when the module imports hn_timer_set. */
export const TIMER_EXPORT = 'hn_on_timer'

/** Return codes of host functions (sdk/ABI.md). */
export const RC = {
  OK: 0,
  EINVAL: -1,
  EDENIED: -2,
  EBADCONN: -3,
  EAGAIN: -4,
  ENOSPACE: -5,
  ENOTFOUND: -6,
  ELIMIT: -7,
  ECLOSED: -8
} as const

/** `kind` of hn_on_open: an inbound connection, a completed hn_connect, a peer that joined a mesh. */
export const OPEN_KIND = { INBOUND: 0, OUTBOUND: 1, MESH: 2 } as const

/** Close reasons delivered to hn_on_close. */
export const CLOSE_REASON = { END: 0, ERROR: 1, REFUSED: 2, SHUTDOWN: 3 } as const

/**
 * How to declare the memory maximum (the host's cap) in each toolchain, for refusals to quote:
 * AssemblyScript counts 64 KiB pages, wasm-ld (clang, and rustc through -C link-arg) bytes.
 */
export const HOW_TO_CAP_MEMORY = `AssemblyScript: --maximumMemory ${LIMITS.maxMemoryMiB * 16} (pages of 64 KiB); clang: -Wl,--max-memory=${LIMITS.maxMemoryMiB * 1024 * 1024}; rustc: -C link-arg=--max-memory=${LIMITS.maxMemoryMiB * 1024 * 1024} (bytes)`
