/**
 * Chat: a room, on every host that runs the app, and one room across all of them. Every
 * "\n"-terminated line a client sends goes to every other client of this host, and to every
 * other host in the app's mesh, whose room gives it to its own clients. Protocol: README.md.
 *
 * The mesh is a full mesh: the host keeps one connection to each other host running chat
 * (`mesh.join("self/chat", ...)`), so a line from a client goes out once on each of them and
 * a line from a peer is never passed on. N hosts: a line costs N - 1 messages, and arrives at
 * each host exactly once.
 */
import { Connection, Handler, log, mesh, onStart, serve, errorName } from "@hypernet/sdk"
import { LineReader, MAX_LINE_BYTES } from "./lines"
export * from "@hypernet/sdk/exports"

/** This host's clients and the other hosts' rooms, for fan-out. */
const clients = new Set<Client>()
const peers = new Set<Peer>()

/** Lines read from one connection, closing it when a line runs past MAX_LINE_BYTES. */
class LineHandler extends Handler {
  reader: LineReader = new LineReader()

  constructor(public conn: Connection) {
    super()
  }

  onData(conn: Connection, data: Uint8Array): void {
    const lines = this.reader.feed(data)
    for (let i = 0; i < lines.length && !conn.isClosing; i++) {
      // 0x01 starts a reserved (control) line: nobody sends one yet, so they are dropped
      if (lines[i][0] != 0x01) this.onLine(lines[i])
    }
    if (this.reader.overflowed) {
      log.warn("chat: a line over " + MAX_LINE_BYTES.toString() + " bytes; closing connection " + conn.id.toString())
      conn.close()
    }
  }

  onLine(line: Uint8Array): void {}
}

/** A client of this host's room. */
class Client extends LineHandler {
  onOpen(conn: Connection): void {
    clients.add(this)
  }

  onLine(line: Uint8Array): void {
    toClients(line, this)
    // A slow peer's queue fills to 1 MiB, then the SDK closes it: the room never waits.
    const all = peers.values()
    for (let i = 0; i < all.length; i++) all[i].conn.send(line)
  }

  onClose(conn: Connection, reason: i32): void {
    clients.delete(this)
  }
}

/** The room of another host running chat: what it sends is for our clients only. */
class Peer extends LineHandler {
  onOpen(conn: Connection): void {
    peers.add(this)
    log.info("chat: " + peers.size.toString() + " other rooms")
  }

  onLine(line: Uint8Array): void {
    toClients(line, null)
  }

  onClose(conn: Connection, reason: i32): void {
    peers.delete(this)
  }
}

function toClients(line: Uint8Array, except: Client | null): void {
  const all = clients.values()
  for (let i = 0; i < all.length; i++) {
    // A slow client's queue fills to 1 MiB, then the SDK closes it.
    if (all[i] !== except) all[i].conn.send(line)
  }
}

serve("chat", (conn: Connection): Handler => new Client(conn))

onStart((): void => {
  const id = mesh.join("self/chat", (conn: Connection): Handler => new Peer(conn))
  if (id < 0) log.warn("chat: cannot join the mesh of self/chat: " + errorName(id))
})
