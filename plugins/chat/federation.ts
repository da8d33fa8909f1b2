/**
 * Federation: this room keeps links to other hosts' chat rooms (the same app, dialled as
 * `self/chat`) so their clients hear each other.
 *
 * - Each running room has a random 16-byte instance id. A link starts with a hello line,
 *   0x01 "link " <32 hex chars of the id> "\n": the dialler sends it on open, the
 *   acceptor answers with its own.
 * - Lines from local clients go to every link; lines from a link go to local clients only
 *   and never to another link. A line crosses at most one link, so nothing loops.
 * - One link per remote room: two hosts that dialled each other keep the link dialled by
 *   the smaller instance id (both sides pick the same one) and close the other. A host
 *   that reached itself closes that link.
 * - The room dials when it has no link: at start, and again after a refusal or after its
 *   last link closed, backing off from 1 s to 60 s.
 */
import { CLOSE_REFUSED, Connection, Handler, connect, errorName, log, randomBytes, timers, toHex, utf8 } from "@hypernet/sdk"

const TARGET = "self/chat"
const HELLO = "\x01link "
const MIN_RETRY_MS: i32 = 1000
const MAX_RETRY_MS: i32 = 60000

let selfId = ""
let handler: Handler | null = null
let dialing: i32 = 0
let retryTimer: i32 = 0
let retryMs: i32 = MIN_RETRY_MS
/** Remote instance id -> the connection linked to it. */
const linked = new Map<string, Connection>()

/** Start federating; `h` handles the outbound link's events. */
export function startFederation(h: Handler): void {
  handler = h
  selfId = toHex(randomBytes(16))
  dial()
}

export function helloLine(): Uint8Array {
  return utf8(HELLO + selfId + "\n")
}

/** The remote instance id in a hello line, or "" when `line` is not one. */
export function parseHello(line: Uint8Array): string {
  if (line.length != HELLO.length + 32 + 1 || line[0] != 0x01) return ""
  const text = String.UTF8.decodeUnsafe(line.dataStart, line.length - 1)
  return text.startsWith(HELLO) ? text.substring(HELLO.length) : ""
}

/** Record a link whose hello said `remoteId`; returns false when the link was closed instead. */
export function addLink(conn: Connection, remoteId: string): bool {
  if (remoteId == selfId) {
    log.info("chat: reached this room itself; closing that link")
    conn.close()
    return false
  }
  if (linked.has(remoteId)) {
    const other = linked.get(remoteId)
    // Both ends compute the same winner: the link dialled by the smaller instance id.
    const dialler = conn.outbound ? selfId : remoteId
    const otherDialler = other.outbound ? selfId : remoteId
    const keepNew = dialler != otherDialler && dialler < otherDialler
    const loser = keepNew ? other : conn
    log.info("chat: two links to room " + remoteId.substring(0, 8) + "; closing one")
    if (keepNew) linked.set(remoteId, conn)
    loser.close()
    return keepNew
  }
  linked.set(remoteId, conn)
  retryMs = MIN_RETRY_MS
  log.info("chat: linked to room " + remoteId.substring(0, 8))
  return true
}

/** Forget a closed connection; dial again when no link is left. */
export function linkGone(conn: Connection, remoteId: string, reason: i32): void {
  if (conn.outbound && conn.id == dialing) dialing = 0
  if (remoteId.length > 0 && linked.has(remoteId) && linked.get(remoteId) === conn) linked.delete(remoteId)
  if (reason == CLOSE_REFUSED) log.debug("chat: no other room reachable yet")
  if (linked.size == 0) scheduleDial()
}

/** Every live link. */
export function links(): Connection[] {
  return linked.values()
}

function dial(): void {
  if (dialing != 0 || linked.size > 0 || handler === null) return
  const id = connect(TARGET, handler!)
  if (id < 0) {
    log.warn("chat: cannot dial " + TARGET + ": " + errorName(id))
    scheduleDial()
    return
  }
  dialing = id
}

function scheduleDial(): void {
  if (retryTimer != 0 || dialing != 0) return
  const id = timers.after(retryMs, (_id: i32): void => {
    retryTimer = 0
    dial()
  })
  if (id > 0) retryTimer = id
  retryMs = min(retryMs * 2, MAX_RETRY_MS)
}
