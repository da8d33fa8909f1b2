/**
 * The raw Hypernet plugin ABI v1 (see ../ABI.md): host imports and the numbers they use.
 * Nothing else lives here, so the friendly API can be read without the wire details and a
 * plugin that needs the bare calls (tests, other wrappers) can import just this file.
 *
 * Pointers are offsets into this module's own memory; every host function copies what it
 * needs before returning. asc keeps an import only if something calls it.
 */

/** The ABI version the SDK implements; `hn_abi_version` returns it. */
export const ABI_VERSION: i32 = 1

// Return codes shared by every host function (ABI.md "Return codes").
/** Bad argument: pointer outside memory, length over a limit, malformed target. */
export const EINVAL: i32 = -1
/** The manifest does not grant this. */
export const EDENIED: i32 = -2
/** No such open connection. */
export const EBADCONN: i32 = -3
/** Not now: the send window is full; retry after `hn_on_drain`. */
export const EAGAIN: i32 = -4
/** Over a quota (storage). */
export const ENOSPACE: i32 = -5
/** No such key, or no peer vends the target. */
export const ENOTFOUND: i32 = -6
/** Too many connections or timers. */
export const ELIMIT: i32 = -7
/** The connection is closing. */
export const ECLOSED: i32 = -8

// Close reasons passed to `hn_on_close`.
/** The peer ended the connection cleanly. */
export const CLOSE_END: i32 = 0
/** The connection failed (reset, timeout, bad stream). */
export const CLOSE_ERROR: i32 = 1
/** An outbound connect could not be made. */
export const CLOSE_REFUSED: i32 = 2
/** The host is stopping or the app is being uninstalled. */
export const CLOSE_SHUTDOWN: i32 = 3

// `kind` of `hn_on_open`.
/** A peer connected to one of the app's services. */
export const OPEN_INBOUND: i32 = 0
/** An outbound `hn_connect` completed. */
export const OPEN_OUTBOUND: i32 = 1
/** A peer host joined a mesh this app joined (`hn_mesh_join`). */
export const OPEN_MESH: i32 = 2

// `level` of `hn_log`.
export const LOG_DEBUG: i32 = 0
export const LOG_INFO: i32 = 1
export const LOG_WARN: i32 = 2
export const LOG_ERROR: i32 = 3

/** `len` when accepted; EAGAIN (nothing queued), EBADCONN, ECLOSED, EINVAL (over 1 MiB). */
// @ts-ignore: decorator
@external("extism:host/user", "hn_send")
export declare function hn_send(conn: i32, ptr: usize, len: i32): i32

/** 0; the host ends the connection after the bytes it holds are flushed. */
// @ts-ignore: decorator
@external("extism:host/user", "hn_close")
export declare function hn_close(conn: i32): i32

/** 0; while paused the host delivers no `hn_on_data` for `conn` and stops reading. */
// @ts-ignore: decorator
@external("extism:host/user", "hn_pause")
export declare function hn_pause(conn: i32, paused: i32): i32

/** A new connection id (> 0), or EDENIED, EINVAL, ELIMIT. The target is UTF-8. */
// @ts-ignore: decorator
@external("extism:host/user", "hn_connect")
export declare function hn_connect(ptr: usize, len: i32): i32

/** A mesh id (> 0), or EDENIED, EINVAL, ENOTFOUND, ELIMIT. The target (UTF-8) is `self/<service>` or a service hash. */
// @ts-ignore: decorator
@external("extism:host/user", "hn_mesh_join")
export declare function hn_mesh_join(ptr: usize, len: i32): i32

/** 0, or ENOTFOUND (not joined), EDENIED, EINVAL. The mesh's connections close with CLOSE_END. */
// @ts-ignore: decorator
@external("extism:host/user", "hn_mesh_leave")
export declare function hn_mesh_leave(ptr: usize, len: i32): i32

/** A timer id (> 0), or EDENIED, EINVAL, ELIMIT. */
// @ts-ignore: decorator
@external("extism:host/user", "hn_timer_set")
export declare function hn_timer_set(ms: i32, repeat: i32): i32

/** 0 or EINVAL. */
// @ts-ignore: decorator
@external("extism:host/user", "hn_timer_clear")
export declare function hn_timer_clear(id: i32): i32

/** The value's length (copied only when it fits in `vcap`), or ENOTFOUND, EDENIED, EINVAL. */
// @ts-ignore: decorator
@external("extism:host/user", "hn_store_get")
export declare function hn_store_get(kptr: usize, klen: i32, vptr: usize, vcap: i32): i32

/** 0, or ENOSPACE past the quota, EDENIED, EINVAL. */
// @ts-ignore: decorator
@external("extism:host/user", "hn_store_put")
export declare function hn_store_put(kptr: usize, klen: i32, vptr: usize, vlen: i32): i32

/** 0, or ENOTFOUND, EDENIED, EINVAL. */
// @ts-ignore: decorator
@external("extism:host/user", "hn_store_delete")
export declare function hn_store_delete(kptr: usize, klen: i32): i32

/** 0; level 0 debug, 1 info, 2 warn, 3 error. Lines over 4 KiB are cut by the host. */
// @ts-ignore: decorator
@external("extism:host/user", "hn_log")
export declare function hn_log(level: i32, ptr: usize, len: i32): i32

/** Milliseconds since the Unix epoch. */
// @ts-ignore: decorator
@external("extism:host/user", "hn_now_ms")
export declare function hn_now_ms(): f64

/** 0; fills `len` bytes (at most 64 KiB) with random bytes. */
// @ts-ignore: decorator
@external("extism:host/user", "hn_random")
export declare function hn_random(ptr: usize, len: i32): i32
