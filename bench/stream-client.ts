import DHT from 'hyperdht'
import { measureStreams } from './rows/stream.ts'
import type { StreamKeys } from './rows/stream.ts'

/**
 * The client of rows 1-3 in a process of its own (`--client-process`): a plain HyperDHT node
 * on the parent's testnet, measuring the parent's plugin services and raw servers. Prints the
 * samples as one JSON line.
 *
 *   node --import tsx bench/stream-client.ts '{"bootstrap":[...],"keys":{...},"options":{...}}'
 */

const arg = JSON.parse(process.argv[2])
const keys = Object.fromEntries(Object.entries(arg.keys as Record<string, string>).map(([k, v]) => [k, Buffer.from(v, 'hex')])) as unknown as StreamKeys
const dht = new DHT({ bootstrap: arg.bootstrap })
try {
  await dht.ready()
  process.stdout.write(JSON.stringify(await measureStreams(dht, keys, arg.options)) + '\n')
} finally {
  await dht.destroy()
}
