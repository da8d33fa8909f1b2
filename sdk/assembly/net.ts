/**
 * Services, connections and meshes: who handles which connection, and the dispatch of the
 * host's connection events to those handlers.
 */
import { EBADCONN, EINVAL, hn_close, hn_connect, hn_mesh_join, hn_mesh_leave, OPEN_MESH, OPEN_OUTBOUND } from "./raw"
import { setLastError } from "./errors"
import { log } from "./log"
import { Connection, Handler, PEER_KEY_BYTES } from "./connection"

/** Makes the handler of one connection: `(conn) => new Session(conn)`. `conn.peer` is set. */
export type HandlerFactory = (conn: Connection) => Handler

/** One handler for every connection, or a factory that makes one per connection. */
class Route {
  constructor(public shared: Handler | null, public factory: HandlerFactory | null) {}

  handlerFor(conn: Connection): Handler {
    const shared = this.shared
    if (shared !== null) return shared
    return this.factory!(conn)
  }
}

function routeOf<T>(handler: T): Route {
  if (isFunction<T>()) return new Route(null, changetype<HandlerFactory>(handler))
  return new Route(changetype<Handler>(handler), null)
}

// stands in until a factory has made a connection's handler
const NO_HANDLER = new Handler()

const services = new Map<string, Route>()
const meshes = new Map<string, Route>()
const connections = new Map<i32, Connection>()

/**
 * Handle connections to the service `name` (as declared in the manifest's `services`), with
 * one `Handler` for all of them, or a factory `(conn) => new Session(conn)` called for each
 * new connection (keep the connection's state in the session, not in a map by id). Call it
 * from top-level code or `onStart`. Connections to a service with no handler are closed with
 * a warning.
 */
export function serve<T>(name: string, handler: T): void {
  services.set(name, routeOf<T>(handler))
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

/**
 * Meshes: the other hosts running a service, each as one connection, as they come and go.
 * Needs the target in the manifest's `permissions.mesh`.
 */
export namespace mesh {
  /**
   * Join the mesh of `target`: `self/<name>` (this app's service `name` on every other host
   * that runs it) or a service hash. For each peer host the host finds and verifies (its
   * signed descriptor vouches for the service), a connection opens (`onOpen`, `conn.mesh`
   * true, `conn.peer` the peer's host key); when the peer leaves or is lost, `onClose`
   * (`CLOSE_END`: it left the mesh; `CLOSE_ERROR`: the connection was lost; it comes back as a
   * new connection once reconnected). One connection per peer host, whoever connected first.
   * `handler` is one `Handler` for all peers or a factory `(conn) => new Peer(conn)`.
   * Returns the mesh id (> 0; joining again returns it again, with the new handler), or
   * EDENIED, EINVAL, ENOTFOUND (`self/<name>` names no service of this app), ELIMIT (16 meshes).
   */
  export function join<T>(target: string, handler: T): i32 {
    const bytes = String.UTF8.encode(target)
    const id = hn_mesh_join(changetype<usize>(bytes), bytes.byteLength)
    if (id <= 0) {
      const code = id == 0 ? EINVAL : id
      setLastError(code)
      return code
    }
    meshes.set(target, routeOf<T>(handler))
    return id
  }

  /** Leave the mesh of `target`: its connections close (`onClose` with `CLOSE_END`). 0, or ENOTFOUND (not joined). */
  export function leave(target: string): i32 {
    const bytes = String.UTF8.encode(target)
    const rc = hn_mesh_leave(changetype<usize>(bytes), bytes.byteLength)
    if (rc < 0) setLastError(rc)
    return rc
  }
}

/** The connection with this id, or null when there is none (any more). */
export function getConnection(id: i32): Connection | null {
  return connections.has(id) ? connections.get(id) : null
}

/** How many connections are open or being dialled. */
export function connectionCount(): i32 {
  return connections.size
}

/**
 * @internal `hn_on_open`: `info` is the peer's key followed by the UTF-8 service name (an
 * inbound connection's service, the dialled target, or the joined mesh's target).
 */
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
    conn._opened(peer, service)
  } else {
    const routes = kind == OPEN_MESH ? meshes : services
    if (!routes.has(service)) {
      log.warn("no handler for " + (kind == OPEN_MESH ? "mesh" : "service") + " \"" + service + "\"; closing connection " + id.toString())
      hn_close(id)
      return 0
    }
    conn = new Connection(id, false, kind == OPEN_MESH ? service : "", NO_HANDLER, kind == OPEN_MESH)
    conn._opened(peer, service)
    connections.set(id, conn)
    conn.handler = routes.get(service).handlerFor(conn)
  }
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
