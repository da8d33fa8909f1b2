// Echo in C: every byte a peer sends comes straight back (service "echo", port 7).
// No libc, no WASI: the host's functions come from hypernet.h, memory from the linker.
//
// Backpressure: hn_send is all or nothing. When it answers HN_EAGAIN the bytes are kept in a
// block of their own and the connection is paused, so the host stops reading from the peer;
// hn_on_drain sends what waited and resumes. Blocks are recycled through a free list, so a
// long-running plugin's memory stays at its high-water mark.
#include "hypernet.h"

#define PAGE 65536
#define BLOCK_PAGES 5 // one header plus HN_MAX_BUFFER_BYTES (4 pages) of data

typedef struct block {
  struct block *next;
  int32_t conn;
  int32_t len;
  unsigned char data[];
} block;

// The host copies each event's bytes here; valid only during that event.
static unsigned char inbox[HN_MAX_BUFFER_BYTES];
// Bytes hn_send refused, oldest first, for every connection; and the blocks free for reuse.
static block *waiting = 0;
static block *spare = 0;

static block *take_block(void) {
  if (spare) {
    block *b = spare;
    spare = b->next;
    return b;
  }
  int32_t old = __builtin_wasm_memory_grow(0, BLOCK_PAGES);
  if (old < 0) return 0; // at the memory maximum
  return (block *)(uintptr_t)((uint32_t)old * PAGE);
}

static void keep(int32_t conn, const unsigned char *bytes, int32_t len) {
  block *b = take_block();
  if (!b) {
    hn_log(3, "echo-c: out of memory, closing", 30);
    hn_close(conn);
    return;
  }
  b->next = 0;
  b->conn = conn;
  b->len = len;
  __builtin_memcpy(b->data, bytes, (uint32_t)len); // memory.copy (-mbulk-memory): no libc
  block **tail = &waiting;
  while (*tail) tail = &(*tail)->next;
  *tail = b;
}

static int has_waiting(int32_t conn) {
  for (block *b = waiting; b; b = b->next)
    if (b->conn == conn) return 1;
  return 0;
}

// Send what waits for conn, in order, until the window is full again. 1 if all went.
static int flush(int32_t conn) {
  block **at = &waiting;
  while (*at) {
    block *b = *at;
    if (b->conn != conn) {
      at = &b->next;
      continue;
    }
    int32_t rc = hn_send(conn, b->data, b->len);
    if (rc == HN_EAGAIN) return 0;
    *at = b->next; // sent, or the connection is closing: either way it is done
    b->next = spare;
    spare = b;
  }
  return 1;
}

static void drop(int32_t conn) {
  block **at = &waiting;
  while (*at) {
    block *b = *at;
    if (b->conn != conn) {
      at = &b->next;
      continue;
    }
    *at = b->next;
    b->next = spare;
    spare = b;
  }
}

HN_EXPORT(hn_abi_version) int32_t hn_abi_version(void) { return HN_ABI_VERSION; }

HN_EXPORT(hn_buffer) void *hn_buffer(int32_t len) {
  return len > 0 && len <= HN_MAX_BUFFER_BYTES ? inbox : 0;
}

HN_EXPORT(hn_on_start) int32_t hn_on_start(void) {
  hn_log(1, "echo-c started", 14);
  return 0;
}

HN_EXPORT(hn_on_open) int32_t hn_on_open(int32_t conn, int32_t kind, int32_t len) { return 0; }

HN_EXPORT(hn_on_data) int32_t hn_on_data(int32_t conn, int32_t len) {
  // Paused connections get no data, but keep order if any ever arrives behind waiting bytes.
  if (has_waiting(conn)) {
    keep(conn, inbox, len);
    return 0;
  }
  int32_t rc = hn_send(conn, inbox, len);
  if (rc == HN_EAGAIN) {
    keep(conn, inbox, len);
    hn_pause(conn, 1);
  }
  return 0;
}

HN_EXPORT(hn_on_drain) int32_t hn_on_drain(int32_t conn) {
  if (flush(conn)) hn_pause(conn, 0);
  return 0;
}

HN_EXPORT(hn_on_close) int32_t hn_on_close(int32_t conn, int32_t reason) {
  drop(conn);
  return 0;
}
