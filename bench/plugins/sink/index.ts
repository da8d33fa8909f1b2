// Sink: reads everything a peer sends and answers one byte per MiB received, so a client can
// time a one-way transfer by the last acknowledgement (the bench's "one way" throughput row).
// A plain HyperDHT server in bench/net/raw-servers.ts does exactly the same in JS.
import { Connection, Handler, serve } from "@hypernet/sdk"
export * from "@hypernet/sdk/exports"

const ACK_EVERY: i32 = 1 << 20
const ACK = new Uint8Array(1)
const pending = new Map<i32, i32>()

class Sink extends Handler {
  onOpen(conn: Connection): void {
    pending.set(conn.id, 0)
  }

  onData(conn: Connection, data: Uint8Array): void {
    let n = (pending.has(conn.id) ? pending.get(conn.id) : 0) + data.length
    while (n >= ACK_EVERY) {
      n -= ACK_EVERY
      conn.send(ACK)
    }
    pending.set(conn.id, n)
  }

  onClose(conn: Connection, reason: i32): void {
    pending.delete(conn.id)
  }
}

serve("sink", new Sink())
