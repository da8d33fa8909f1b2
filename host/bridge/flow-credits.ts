import type { Duplex } from 'node:stream'
import { bridgeCredit, decodeExact, encode } from '../messages.ts'

/**
 * Flow control between two Hypernet bridge ends, over the stream's encrypted datagrams.
 *
 * Why: a UDX stream has no receive window a reader can close. Pausing a HyperDHT stream stops
 * its 'data' events, but udx-native keeps acknowledging and buffering whatever the peer sends
 * (measured: a paused reader let a writer push 256 MiB, all of it held in the reader's memory).
 * So a bridge end tells the other, in encrypted datagrams (`stream.send`, 'message' events,
 * never mixed into the byte stream, so plain HyperDHT clients neither see nor need them), how
 * many bytes it has handed to its TCP side (`bridgeCredit` in messages.ts: `HNC1` then that count as a big-endian u64). The
 * count is cumulative, so a lost datagram costs nothing; it is sent on every 64 KiB of
 * progress and repeated each second.
 *
 * A sender that has heard at least one credit keeps at most `windowBytes` unacknowledged and
 * pauses its TCP reader beyond that: a slow TCP reader at the far end slows the TCP writer at
 * this end. A peer that never sends credits (a plain client, a plugin host) is not held back;
 * splice-streams.ts fails its connection once `maxBufferedBytes` wait for the TCP side,
 * instead of growing memory without bound.
 */

const STEP = 64 * 1024

export interface FlowCreditsInit {
  windowBytes?: number
  maxBufferedBytes?: number
  heartbeatMs?: number
}

export interface FlowCredits {
  /** Count bytes written to the peer; false when the window is full (pause the source). */
  sent(n: number): boolean
  /** Count bytes the TCP side took (its write completed). */
  delivered(n: number): void
  /** Called when the window reopens after `sent` returned false. */
  onOpen(fn: () => void): void
  close(): void
}

export const FLOW_DEFAULTS = { windowBytes: 4 * 1024 * 1024, maxBufferedBytes: 32 * 1024 * 1024, heartbeatMs: 1000 } as const

type MessageStream = Duplex & { send?: (b: Buffer) => unknown; trySend?: (b: Buffer) => void }

export function createFlowCredits(peer: MessageStream, init: FlowCreditsInit = {}): FlowCredits {
  const windowBytes = init.windowBytes ?? FLOW_DEFAULTS.windowBytes
  let sentTotal = 0
  let acked = 0
  let peerSpeaks = false
  let blocked = false
  let deliveredTotal = 0
  let lastCredit = -1
  let onOpen = () => {}

  const credit = () => {
    const b = encode(bridgeCredit, deliveredTotal)
    lastCredit = deliveredTotal
    try {
      if (peer.trySend) peer.trySend(b)
      else void peer.send?.(b)
    } catch {
      // a datagram that cannot go now is repeated by the heartbeat
    }
  }
  const onMessage = (m: Buffer) => {
    let n: number
    try {
      n = decodeExact(bridgeCredit, m, 'bridge credit')
    } catch {
      return // other datagrams are not ours
    }
    if (n > sentTotal || n <= acked) return
    acked = n
    peerSpeaks = true
    if (blocked && sentTotal - acked <= windowBytes) {
      blocked = false
      onOpen()
    }
  }
  peer.on('message', onMessage)
  // repeated so a lost datagram never stalls the sender; only once bytes have been delivered
  const heartbeat = setInterval(() => {
    if (deliveredTotal > 0) credit()
  }, init.heartbeatMs ?? FLOW_DEFAULTS.heartbeatMs)
  heartbeat.unref()

  return {
    sent(n) {
      sentTotal += n
      if (peerSpeaks && sentTotal - acked > windowBytes) blocked = true
      return !blocked
    },
    delivered(n) {
      deliveredTotal += n
      if (deliveredTotal - lastCredit >= STEP) credit()
    },
    onOpen(fn) {
      onOpen = fn
    },
    close() {
      clearInterval(heartbeat)
      peer.removeListener('message', onMessage)
    }
  }
}
