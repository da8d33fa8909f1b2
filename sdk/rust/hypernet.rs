//! The Hypernet plugin ABI, version 1, for Rust (sdk/ABI.md is the contract; sdk/include/hypernet.h
//! is the same for C). Include it with `#[path = ".../sdk/rust/hypernet.rs"] mod hypernet;`
//! and build a `cdylib` for `wasm32-unknown-unknown` (no WASI):
//!
//! ```sh
//! rustc --edition 2021 --crate-type cdylib --target wasm32-unknown-unknown -C opt-level=2 \
//!   -C link-arg=--max-memory=16777216 -o echo.wasm src/lib.rs
//! ```
//!
//! The plugin defines the exports with `#[no_mangle] pub extern "C" fn hn_...`: always
//! `hn_abi_version`, `hn_buffer` and `hn_on_start`; `hn_on_open`, `hn_on_data` and `hn_on_close`
//! when it has a service, dials or joins a mesh; `hn_on_timer` when it sets timers; `hn_on_drain`
//! if it wants to know when a full send window has room again. Pointers are wasm32 `i32`
//! offsets into the plugin's memory, which is what `*const u8` is on this target.
//!
//! The host never calls an export while a host function runs, nor two at once, so a
//! `thread_local!` `RefCell` holding the plugin's state is never borrowed twice.
#![allow(dead_code)]

/// What `hn_abi_version` must return.
pub const ABI_VERSION: i32 = 1;

// Return codes of host functions.
pub const OK: i32 = 0;
pub const EINVAL: i32 = -1;
pub const EDENIED: i32 = -2;
pub const EBADCONN: i32 = -3;
pub const EAGAIN: i32 = -4;
pub const ENOSPACE: i32 = -5;
pub const ENOTFOUND: i32 = -6;
pub const ELIMIT: i32 = -7;
pub const ECLOSED: i32 = -8;

// `kind` of hn_on_open.
pub const OPEN_INBOUND: i32 = 0;
pub const OPEN_OUTBOUND: i32 = 1;
pub const OPEN_MESH: i32 = 2;

// `reason` of hn_on_close.
pub const CLOSE_END: i32 = 0;
pub const CLOSE_ERROR: i32 = 1;
pub const CLOSE_REFUSED: i32 = 2;
pub const CLOSE_SHUTDOWN: i32 = 3;

/// The largest `len` the host passes to `hn_buffer` (one `hn_on_data`).
pub const MAX_BUFFER_BYTES: usize = 256 * 1024;
/// The peer's public key that starts the bytes of `hn_on_open`.
pub const PEER_KEY_BYTES: usize = 32;
pub const MAX_SEND_BYTES: usize = 1024 * 1024;

#[link(wasm_import_module = "extism:host/user")]
extern "C" {
    /// `len` when accepted; `EAGAIN` queues nothing (wait for `hn_on_drain`).
    pub fn hn_send(conn: i32, ptr: *const u8, len: i32) -> i32;
    pub fn hn_close(conn: i32) -> i32;
    pub fn hn_pause(conn: i32, paused: i32) -> i32;
    pub fn hn_connect(ptr: *const u8, len: i32) -> i32;
    pub fn hn_mesh_join(ptr: *const u8, len: i32) -> i32;
    pub fn hn_mesh_leave(ptr: *const u8, len: i32) -> i32;
    pub fn hn_timer_set(ms: i32, repeat: i32) -> i32;
    pub fn hn_timer_clear(id: i32) -> i32;
    pub fn hn_store_get(kptr: *const u8, klen: i32, vptr: *mut u8, vcap: i32) -> i32;
    pub fn hn_store_put(kptr: *const u8, klen: i32, vptr: *const u8, vlen: i32) -> i32;
    pub fn hn_store_delete(kptr: *const u8, klen: i32) -> i32;
    pub fn hn_log(level: i32, ptr: *const u8, len: i32) -> i32;
    pub fn hn_now_ms() -> f64;
    pub fn hn_random(ptr: *mut u8, len: i32) -> i32;
}

/// Log a line at `level` (0 debug, 1 info, 2 warn, 3 error).
pub fn log(level: i32, line: &str) {
    unsafe { hn_log(level, line.as_ptr(), line.len() as i32) };
}
