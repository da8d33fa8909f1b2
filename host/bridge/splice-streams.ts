import type { Socket } from 'node:net'
import type { Duplex } from 'node:stream'
import { FLOW_DEFAULTS, createFlowCredits } from './flow-credits.ts'
import type { FlowCreditsInit } from './flow-credits.ts'

/**
 * Join a TCP socket and a Hypernet stream so that each carries what the other reads, and what
 * a TCP program would expect of one connection holds end to end:
 * - bytes pass unchanged, in order, both ways;
 * - half-close: a FIN on either side ends the other side's writing half only, so a program
 *   can send, shut down its sending half and still read the reply;
 * - errors: a side that dies without a clean end (a TCP reset, a crashed or destroyed stream)
 *   takes the other down with it, as a TCP reset on the TCP side and a destroyed stream
 *   (close without end) on the Hypernet side, never as a clean end;
 * - backpressure: TCP to Hypernet, the TCP reader pauses while the stream refuses writes
 *   (`write()` returns false: UDX's congestion window is full). Hypernet to TCP, pausing would
 *   not help (a paused UDX stream keeps buffering what its peer sends), so bytes go on to the
 *   TCP socket, whose backlog is counted: two bridge ends exchange credits (flow-credits.ts) so
 *   a slow TCP reader at one end slows the TCP writer at the other, and a peer that ignores
 *   credits is cut off once the backlog passes `maxBufferedBytes`, instead of filling memory.
 * The peer may be any Duplex: one without datagrams (an anonymous bridge's onion stream, whose
 * exit relay holds the HyperDHT stream) never exchanges credits, so it is held to that cap alone.
 * The TCP socket must allow half-open connections (`allowHalfOpen: true`).
 */

export interface SpliceCounters {
  /** Bytes from the Hypernet peer to the TCP side. */
  bytesIn: number
  /** Bytes from the TCP side to the Hypernet peer. */
  bytesOut: number
}

/** Splice `tcp` and `peer`; resolves when both have closed. Never rejects. */
export function spliceStreams(tcp: Socket, peer: Duplex, counters: SpliceCounters, flowInit?: FlowCreditsInit): Promise<void> {
  let tcpEnded = false
  let peerEnded = false
  const flow = createFlowCredits(peer, flowInit)
  const maxBuffered = flowInit?.maxBufferedBytes ?? FLOW_DEFAULTS.maxBufferedBytes
  let peerFull = false
  let windowFull = false

  tcp.on('data', (d: Buffer) => {
    counters.bytesOut += d.length
    peerFull = !peer.write(d) || peerFull
    windowFull = !flow.sent(d.length)
    if (peerFull || windowFull) tcp.pause()
  })
  const maybeResume = () => {
    if (!peerFull && !windowFull) tcp.resume()
  }
  peer.on('drain', () => {
    peerFull = false
    maybeResume()
  })
  flow.onOpen(() => {
    windowFull = false
    maybeResume()
  })
  // never paused: a paused UDX stream buffers without bound anyway, so what the TCP side has not
  // taken yet is held here, where it is counted; credits keep a bridge peer within its window
  peer.on('data', (d: Buffer) => {
    counters.bytesIn += d.length
    tcp.write(d, () => flow.delivered(d.length))
    if (tcp.writableLength > maxBuffered)
      destroyPeer(peer, `the peer sent ${tcp.writableLength} bytes more than the TCP side took (it does not follow flow control)`)
  })

  tcp.on('end', () => {
    tcpEnded = true
    peer.end()
  })
  peer.on('end', () => {
    peerEnded = true
    tcp.end()
  })

  // errors are answered on 'close', which always follows
  tcp.on('error', () => {})
  peer.on('error', () => {})

  const onTcpClosed = () => {
    if (!tcpEnded || !peerEnded) destroyPeer(peer, tcpEnded ? 'the TCP connection failed' : 'the TCP side reset the connection')
  }
  const tcpClosed = tcp.destroyed ? Promise.resolve(onTcpClosed()) : new Promise<void>((resolve) => tcp.once('close', () => resolve(onTcpClosed())))
  const onPeerClosed = () => {
    if (!peerEnded) resetTcp(tcp)
    else if (!tcpEnded) tcp.destroy()
  }
  // a stream that was already gone before it was joined has no 'close' to come
  const peerClosed = peer.destroyed ? Promise.resolve(onPeerClosed()) : new Promise<void>((resolve) => peer.once('close', () => resolve(onPeerClosed())))
  return Promise.all([tcpClosed, peerClosed]).then(() => flow.close())
}

function destroyPeer(peer: Duplex, why: string): void {
  if (!peer.destroyed) peer.destroy(new Error(why))
}

function resetTcp(tcp: Socket): void {
  if (tcp.destroyed) return
  if (typeof tcp.resetAndDestroy === 'function' && tcp.readyState !== 'opening') tcp.resetAndDestroy()
  else tcp.destroy()
}
