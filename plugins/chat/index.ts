/**
 * Chat: a room. Every "\n"-terminated line a client sends goes to every other client, and
 * to the rooms this one is federated with (federation.ts). Protocol: README.md.
 */
import { Connection, Handler, log, onStart, serve } from "@hypernet/sdk"
import { LineReader, MAX_LINE_BYTES } from "./lines"
import { addLink, helloLine, linkGone, links, parseHello, startFederation } from "./federation"
export * from "@hypernet/sdk/exports"

/** What the room knows about one connection, client or link. */
class Member {
  reader: LineReader = new LineReader()
  lines: i32 = 0
  /** The remote room's instance id once its hello arrived; "" for clients. */
  remoteId: string = ""
  constructor(public conn: Connection, public isLink: bool) {}
}

const members = new Map<i32, Member>()

function toClients(line: Uint8Array, except: Connection | null): void {
  const all = members.values()
  for (let i = 0; i < all.length; i++) {
    const m = all[i]
    // A slow client's queue fills to 1 MiB, then the SDK closes it: the room never waits.
    if (!m.isLink && m.conn !== except) m.conn.send(line)
  }
}

function toLinks(line: Uint8Array): void {
  const all = links()
  for (let i = 0; i < all.length; i++) all[i].send(line)
}

function onLine(m: Member, line: Uint8Array): void {
  const first = m.lines++ == 0
  const isControl = line[0] == 0x01
  if (isControl) {
    const remoteId = parseHello(line)
    // An inbound connection becomes a link when its first line is a hello; an outbound
    // link learns the remote id from the answer. Other control lines are dropped.
    if (remoteId.length > 0 && m.remoteId.length == 0 && (m.isLink || first)) {
      if (!m.conn.outbound) {
        m.isLink = true
        m.conn.send(helloLine())
      }
      if (addLink(m.conn, remoteId)) m.remoteId = remoteId
    }
    return
  }
  if (m.isLink) {
    toClients(line, null)
  } else {
    toClients(line, m.conn)
    toLinks(line)
  }
}

class Room extends Handler {
  onOpen(conn: Connection): void {
    members.set(conn.id, new Member(conn, conn.outbound))
    if (conn.outbound) conn.send(helloLine())
  }

  onData(conn: Connection, data: Uint8Array): void {
    if (!members.has(conn.id)) return
    const m = members.get(conn.id)
    const lines = m.reader.feed(data)
    for (let i = 0; i < lines.length && !conn.isClosing; i++) onLine(m, lines[i])
    if (m.reader.overflowed) {
      log.warn("chat: a line over " + MAX_LINE_BYTES.toString() + " bytes; closing connection " + conn.id.toString())
      conn.close()
    }
  }

  onClose(conn: Connection, reason: i32): void {
    let remoteId = ""
    if (members.has(conn.id)) {
      remoteId = members.get(conn.id).remoteId
      members.delete(conn.id)
    }
    if (conn.outbound || remoteId.length > 0) linkGone(conn, remoteId, reason)
  }
}

const room = new Room()
serve("chat", room)
onStart((): void => startFederation(room))
