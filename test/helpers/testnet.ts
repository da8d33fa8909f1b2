import createTestnet from 'hyperdht/testnet.js'
import type { Testnet } from 'hyperdht/testnet.js'

/**
 * A real HyperDHT on loopback. 10 nodes at least: in a 3-node testnet a stream once opened
 * but carried no data (NOTES.md).
 */
export async function startTestnet(size = 10): Promise<Testnet> {
  return createTestnet(size, { host: '127.0.0.1' })
}
