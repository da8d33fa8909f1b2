/**
 * Profile: remembers each client's profile under the public key its connection proved.
 * On open the app answers at once with the stored profile (PROFILE) or UNKNOWN; a client
 * sends SET to store or replace its profile and DELETE to forget it. Storage persists
 * across host restarts. Protocol: README.md.
 */
import { Connection, ENOTFOUND, Handler, errorName, lastError, log, serve, storage, utf8 } from "@hypernet/sdk"
import { encodeFrame, Frame, FrameReader } from "./frames"
export * from "@hypernet/sdk/exports"

// Client to app.
const SET: u8 = 0x01
const DELETE: u8 = 0x02
// App to client.
const PROFILE: u8 = 0x81
const UNKNOWN: u8 = 0x82
const SAVED: u8 = 0x83
const DELETED: u8 = 0x84
const ERROR: u8 = 0xff

/** Largest profile stored, in bytes. */
const MAX_PROFILE: i32 = 4096

const NOTHING = new Uint8Array(0)
const readers = new Map<i32, FrameReader>()

/** Storage key of a client's profile: "p" then its 32-byte public key. */
function keyOf(peer: Uint8Array): Uint8Array {
  const key = new Uint8Array(1 + peer.length)
  key[0] = 0x70
  key.set(peer, 1)
  return key
}

function fail(conn: Connection, why: string): void {
  conn.send(encodeFrame(ERROR, utf8(why)))
  conn.close()
}

function handle(conn: Connection, f: Frame): void {
  if (f.type == SET) {
    if (f.payload.length == 0) return fail(conn, "empty profile")
    const rc = storage.put(keyOf(conn.peer), f.payload)
    if (rc < 0) return fail(conn, "cannot store the profile: " + errorName(rc))
    conn.send(encodeFrame(SAVED, NOTHING))
  } else if (f.type == DELETE) {
    storage.remove(keyOf(conn.peer))
    conn.send(encodeFrame(DELETED, NOTHING))
  } else {
    fail(conn, "unknown message type " + f.type.toString())
  }
}

class Profiles extends Handler {
  onOpen(conn: Connection): void {
    readers.set(conn.id, new FrameReader(MAX_PROFILE))
    const stored = storage.get(keyOf(conn.peer))
    if (stored !== null) {
      conn.send(encodeFrame(PROFILE, stored))
    } else {
      if (lastError() != ENOTFOUND) log.warn("reading a profile failed: " + errorName(lastError()))
      conn.send(encodeFrame(UNKNOWN, NOTHING))
    }
  }

  onData(conn: Connection, data: Uint8Array): void {
    if (!readers.has(conn.id)) return
    const reader = readers.get(conn.id)
    let off = 0
    while (off < data.length && !conn.isClosing) {
      off += reader.take(data, off)
      if (reader.tooLarge) return fail(conn, "a profile is at most " + MAX_PROFILE.toString() + " bytes")
      const f = reader.frame()
      if (f !== null) handle(conn, f)
    }
  }

  onClose(conn: Connection, reason: i32): void {
    readers.delete(conn.id)
  }
}

serve("profile", new Profiles())
