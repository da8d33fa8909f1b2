// Echo in Rust: every byte a peer sends comes straight back (service "echo", port 7).
// A cdylib for wasm32-unknown-unknown with std (its allocator needs no imports), no WASI, no crates.
//
// Backpressure: hn_send is all or nothing. When it answers EAGAIN the bytes are kept and the
// connection is paused, so the host stops reading from the peer; hn_on_drain sends what
// waited and resumes.
#[path = "../../sdk/rust/hypernet.rs"]
mod hypernet;

use hypernet::*;
use std::cell::RefCell;
use std::collections::{BTreeMap, VecDeque};

struct Echo {
    /// The host copies each event's bytes here; valid only during that event.
    inbox: Vec<u8>,
    /// Bytes hn_send refused, oldest first, per connection.
    waiting: BTreeMap<i32, VecDeque<Vec<u8>>>,
}

thread_local! {
    static ECHO: RefCell<Echo> = RefCell::new(Echo { inbox: vec![0; MAX_BUFFER_BYTES], waiting: BTreeMap::new() });
}

fn send(conn: i32, bytes: &[u8]) -> i32 {
    unsafe { hn_send(conn, bytes.as_ptr(), bytes.len() as i32) }
}

#[no_mangle]
pub extern "C" fn hn_abi_version() -> i32 {
    ABI_VERSION
}

#[no_mangle]
pub extern "C" fn hn_buffer(len: i32) -> *mut u8 {
    if len <= 0 || len as usize > MAX_BUFFER_BYTES {
        return std::ptr::null_mut();
    }
    ECHO.with(|e| e.borrow_mut().inbox.as_mut_ptr())
}

#[no_mangle]
pub extern "C" fn hn_on_start() -> i32 {
    log(1, "echo-rust started");
    0
}

#[no_mangle]
pub extern "C" fn hn_on_open(_conn: i32, _kind: i32, _len: i32) -> i32 {
    0
}

#[no_mangle]
pub extern "C" fn hn_on_data(conn: i32, len: i32) -> i32 {
    ECHO.with(|e| {
        let e = &mut *e.borrow_mut();
        let data = &e.inbox[..len as usize];
        // Paused connections get no data, but keep order if any ever arrives behind waiting bytes.
        if let Some(q) = e.waiting.get_mut(&conn) {
            q.push_back(data.to_vec());
        } else if send(conn, data) == EAGAIN {
            e.waiting.insert(conn, VecDeque::from([data.to_vec()]));
            unsafe { hn_pause(conn, 1) };
        }
    });
    0
}

#[no_mangle]
pub extern "C" fn hn_on_drain(conn: i32) -> i32 {
    ECHO.with(|e| {
        let waiting = &mut e.borrow_mut().waiting;
        let q = match waiting.get_mut(&conn) {
            Some(q) => q,
            None => return,
        };
        while let Some(bytes) = q.front() {
            if send(conn, bytes) == EAGAIN {
                return;
            }
            q.pop_front(); // sent, or the connection is closing: either way it is done
        }
        waiting.remove(&conn);
        unsafe { hn_pause(conn, 0) };
    });
    0
}

#[no_mangle]
pub extern "C" fn hn_on_close(conn: i32, _reason: i32) -> i32 {
    ECHO.with(|e| e.borrow_mut().waiting.remove(&conn));
    0
}
