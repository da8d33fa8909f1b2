/*
 * hypernet.h: the Hypernet plugin ABI, version 1, for C and C++ (sdk/ABI.md is the contract).
 *
 * Host functions are imported from the module "extism:host/user"; a plugin defines the
 * exports below with HN_EXPORT. Build for wasm32 with no libc and no WASI:
 *
 *   clang --target=wasm32 -O2 -mbulk-memory -nostdlib -I sdk/include -Wl,--no-entry \
 *         -Wl,--max-memory=16777216 -o echo.wasm echo.c
 *
 * --max-memory is the memory maximum in bytes (a multiple of 65536; the host requires one).
 * -mbulk-memory makes __builtin_memcpy/__builtin_memset instructions rather than libc calls.
 *
 * wasm32: pointers, size_t and int32_t are all 32 bits, so a pointer crosses the ABI as the
 * i32 offset into the plugin's own memory that the host expects. The host copies bytes in
 * (into the buffer hn_buffer returns) and out (from the pointer you pass) during the call.
 *
 * The host never calls an export while a host function is running, and never two at once:
 * plugin code needs no locking and no re-entrancy care.
 */
#ifndef HYPERNET_H
#define HYPERNET_H

#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* ---- versions ---- */

/* What hn_abi_version must return. */
#define HN_ABI_VERSION 1

/* ---- return codes of host functions (< 0) ---- */

#define HN_OK 0
#define HN_EINVAL (-1)    /* bad argument: pointer outside memory, length over a limit, bad target */
#define HN_EDENIED (-2)   /* the manifest does not grant this */
#define HN_EBADCONN (-3)  /* no such open connection (or still dialling) */
#define HN_EAGAIN (-4)    /* not now: send window or a rate quota full; wait for hn_on_drain */
#define HN_ENOSPACE (-5)  /* over the storage quota */
#define HN_ENOTFOUND (-6) /* no such key, mesh or service */
#define HN_ELIMIT (-7)    /* too many connections, meshes or timers */
#define HN_ECLOSED (-8)   /* the connection is closing */

/* ---- `kind` of hn_on_open ---- */

#define HN_OPEN_INBOUND 0  /* a peer connected to one of the app's services */
#define HN_OPEN_OUTBOUND 1 /* an hn_connect completed */
#define HN_OPEN_MESH 2     /* a peer host joined a mesh the app joined */

/* ---- `reason` of hn_on_close ---- */

#define HN_CLOSE_END 0      /* the peer ended cleanly (a mesh peer left) */
#define HN_CLOSE_ERROR 1    /* the connection failed */
#define HN_CLOSE_REFUSED 2  /* an outbound connect could not be made */
#define HN_CLOSE_SHUTDOWN 3 /* the host is stopping or the app is being uninstalled */

/* ---- limits (sdk/ABI.md "Limits") ---- */

#define HN_MAX_BUFFER_BYTES (256 * 1024) /* largest len hn_buffer is asked for (one hn_on_data) */
#define HN_PEER_KEY_BYTES 32             /* the peer's public key that starts hn_on_open's bytes */
#define HN_MAX_SEND_BYTES (1024 * 1024)  /* bytes per hn_send */
#define HN_MAX_STORE_KEY_BYTES 256
#define HN_MAX_STORE_VALUE_BYTES (64 * 1024)
#define HN_MAX_RANDOM_BYTES (64 * 1024)

/* ---- host functions (imports) ---- */

#define HN_IMPORT(name) __attribute__((import_module("extism:host/user"), import_name(#name)))

/* Send len bytes: returns len, or HN_EAGAIN (nothing queued; wait for hn_on_drain), or an error. */
HN_IMPORT(hn_send) int32_t hn_send(int32_t conn, const void *ptr, int32_t len);
/* End a connection once its queued bytes are out; hn_on_close follows. */
HN_IMPORT(hn_close) int32_t hn_close(int32_t conn);
/* paused = 1: no hn_on_data for conn and the peer is held back; 0 resumes. */
HN_IMPORT(hn_pause) int32_t hn_pause(int32_t conn, int32_t paused);
/* Dial a target (UTF-8): a new conn id (> 0) now, hn_on_open(conn, HN_OPEN_OUTBOUND, ...) later. */
HN_IMPORT(hn_connect) int32_t hn_connect(const char *target, int32_t len);
/* Join a service's mesh (UTF-8 target): a mesh id (> 0); peers arrive as HN_OPEN_MESH. */
HN_IMPORT(hn_mesh_join) int32_t hn_mesh_join(const char *target, int32_t len);
/* Leave a joined mesh: each of its connections gets hn_on_close(HN_CLOSE_END). */
HN_IMPORT(hn_mesh_leave) int32_t hn_mesh_leave(const char *target, int32_t len);
/* A timer id (> 0): hn_on_timer(id) after ms (>= 1), every ms if repeat is 1. */
HN_IMPORT(hn_timer_set) int32_t hn_timer_set(int32_t ms, int32_t repeat);
HN_IMPORT(hn_timer_clear) int32_t hn_timer_clear(int32_t id);
/* The value's length; copied to val only when it fits in cap. HN_ENOTFOUND when absent. */
HN_IMPORT(hn_store_get) int32_t hn_store_get(const void *key, int32_t klen, void *val, int32_t cap);
HN_IMPORT(hn_store_put) int32_t hn_store_put(const void *key, int32_t klen, const void *val, int32_t vlen);
HN_IMPORT(hn_store_delete) int32_t hn_store_delete(const void *key, int32_t klen);
/* level 0 debug, 1 info, 2 warn, 3 error. */
HN_IMPORT(hn_log) int32_t hn_log(int32_t level, const char *msg, int32_t len);
/* Milliseconds since the Unix epoch. */
HN_IMPORT(hn_now_ms) double hn_now_ms(void);
/* Fill len (<= HN_MAX_RANDOM_BYTES) bytes with random bytes. */
HN_IMPORT(hn_random) int32_t hn_random(void *ptr, int32_t len);

/* ---- exports the plugin defines ---- */

/*
 * Define each with HN_EXPORT, e.g. `HN_EXPORT(hn_on_start) int32_t hn_on_start(void) { ... }`.
 * Always: memory (the linker's, with --max-memory), hn_abi_version, hn_buffer, hn_on_start.
 * With a service, hn_connect or hn_mesh_join: hn_on_open, hn_on_data, hn_on_close.
 * With hn_timer_set: hn_on_timer. hn_on_drain is optional. Every hn_on_* returns 0 for success.
 */
#define HN_EXPORT(name) __attribute__((export_name(#name)))

int32_t hn_abi_version(void);
/* Room for len incoming bytes (1..HN_MAX_BUFFER_BYTES), valid until the next event; 0 = cannot. */
void *hn_buffer(int32_t len);
int32_t hn_on_start(void);
/* The buffer holds the peer's 32-byte key, then the UTF-8 service name or target. */
int32_t hn_on_open(int32_t conn, int32_t kind, int32_t len);
int32_t hn_on_data(int32_t conn, int32_t len);
int32_t hn_on_close(int32_t conn, int32_t reason);
int32_t hn_on_drain(int32_t conn);
int32_t hn_on_timer(int32_t id);

#ifdef __cplusplus
}
#endif

#endif /* HYPERNET_H */
