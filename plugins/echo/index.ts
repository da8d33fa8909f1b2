// Echo: every byte a peer sends comes straight back (service "echo", port 7).
// Backpressure needs no code here: when the peer reads slower than it writes, send()
// returns false, the SDK keeps the bytes, stops reading from the peer until they are
// out, and starts again on its own.
import { Connection, Handler, serve } from "@hypernet/sdk"
export * from "@hypernet/sdk/exports"

class Echo extends Handler {
  onData(conn: Connection, data: Uint8Array): void {
    conn.send(data)
  }
}

serve("echo", new Echo())
