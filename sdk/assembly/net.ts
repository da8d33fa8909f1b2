/**
 * Services and connections: who handles which connection, and the dispatch of the host's
 * connection events to those handlers.
 */
import { EBADCONN, EINVAL, hn_close, hn_connect, OPEN_OUTBOUND } from "./raw"
import { setLastError } from "./errors"
import { log } from "./log"
import { Connection, Handler, PEER_KEY_BYTES } from "./connection"

const services = new Map<string, Handler>()
const connections = new Map<i32, Connection>()

/**
 * Handle connections to the service `name` (as declared in the manifest's `services`).
 * Call it from top-level code or `onStart`. Connections to a service with no handler are
 * closed with a warning.
 */
export function serve(name: string, handler: Handler): void {
  services.set(name, handler)
}

/**
 * Dial a service: `self/<name>` (this app's service `name` on another host), a service
 * hash (64 hex or 52 z32 characters), or `<service hash>@<service key>`. Returns the new
 * connection's id (> 0) at once; `handler.onOpen` follows when it opens, or
 * `handler.onClose(conn, CLOSE_REFUSED)` when it cannot be made. Returns EDENIED (not in
 * the manifest's `permissions.dial`), EINVAL (malformed target) or ELIMIT (too many
 * connections) when nothing was started.
 */
export function connect(target: string, handler: Handler): i32 {
  const bytes = String.UTF8.encode(target)
  const id = hn_connect(changetype<usize>(bytes), bytes.byteLength)
  if (id <= 0) {
    const code = id == 0 ? EINVAL : id
    setLastError(code)
    return code
  }
  connections.set(id, new Connection(id, true, target, handler))
  return id
}

/** The connection with this id, or null when there is none (any more). */
export function getConnection(id: i32): Connection | null {
  return connections.has(id) ? connections.get(id) : null
}

/** How many connections are open or being dialled. */
export function connectionCount(): i32 {
  return connections.size
}

/** @internal `hn_on_open`: `info` is the peer's key followed by the UTF-8 service name. */
export function dispatchOpen(id: i32, kind: i32, info: Uint8Array): i32 {
  if (info.length < PEER_KEY_BYTES) {
    hn_close(id)
    return EINVAL
  }
  const peer = info.slice(0, PEER_KEY_BYTES)
  const service = String.UTF8.decodeUnsafe(info.dataStart + PEER_KEY_BYTES, info.length - PEER_KEY_BYTES)
  let conn: Connection
  if (kind == OPEN_OUTBOUND) {
    if (!connections.has(id)) {
      hn_close(id)
      return EBADCONN
    }
    conn = connections.get(id)
  } else {
    if (!services.has(service)) {
      log.warn("no handler for service \"" + service + "\"; closing connection " + id.toString())
      hn_close(id)
      return 0
    }
    conn = new Connection(id, false, "", services.get(service))
    connections.set(id, conn)
  }
  conn._opened(peer, service)
  conn.handler.onOpen(conn)
  return 0
}

/** @internal `hn_on_data`. */
export function dispatchData(id: i32, data: Uint8Array): i32 {
  if (!connections.has(id)) return EBADCONN
  const conn = connections.get(id)
  conn.handler.onData(conn, data)
  return 0
}

/** @internal `hn_on_close`: the id is dead once this returns. */
export function dispatchClose(id: i32, reason: i32): i32 {
  // Connections closed before the SDK knew them (an unserved service) end here too.
  if (!connections.has(id)) return 0
  const conn = connections.get(id)
  connections.delete(id)
  conn._gone()
  conn.handler.onClose(conn, reason)
  return 0
}

/** @internal `hn_on_drain`. */
export function dispatchDrain(id: i32): i32 {
  if (!connections.has(id)) return EBADCONN
  connections.get(id)._drain()
  return 0
}
