import { createSocket } from 'node:dgram'
import createTestnet from 'hyperdht/testnet.js'
import type { Testnet } from 'hyperdht/testnet.js'

/**
 * A real HyperDHT on loopback. 10 nodes at least: in a 3-node testnet a stream once opened
 * but carried no data (NOTES.md).
 */
export async function startTestnet(size = 10): Promise<Testnet> {
  return createTestnet(size, { host: '127.0.0.1' })
}

/** A loopback UDP port that was free a moment ago (for a node that is to bind it later). */
export async function freeUdpPort(): Promise<number> {
  const s = createSocket('udp4')
  await new Promise<void>((resolve) => s.bind(0, '127.0.0.1', resolve))
  const port = s.address().port
  await new Promise<void>((resolve) => s.close(() => resolve()))
  return port
}
