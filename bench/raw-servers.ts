import DHT from 'hyperdht'
import type { KeyPair, NodeAddress, SecretStream, Server } from 'hyperdht'

/**
 * The raw baseline: what a user writes instead of a Hypernet app. One plain HyperDHT node,
 * nothing from this project, with an echo server and a sink server (one byte back per MiB
 * received, like bench/plugins/sink), each on its own key pair, as the host does.
 */

const ACK_EVERY = 1 << 20
const ACK = Buffer.from([0])

export interface RawServers {
  dht: DHT
  echoKey: Buffer
  sinkKey: Buffer
  close(): Promise<void>
}

export async function startRawServers(bootstrap: NodeAddress[]): Promise<RawServers> {
  const dht = new DHT({ bootstrap })
  await dht.ready()
  const echo = DHT.keyPair()
  const sink = DHT.keyPair()
  const servers: Server[] = []
  const listen = async (kp: KeyPair, onStream: (s: SecretStream) => void) => {
    const server = dht.createServer({}, (s) => {
      s.on('error', () => {})
      onStream(s)
    })
    servers.push(server)
    await server.listen(kp)
  }
  await listen(echo, echoStream)
  await listen(sink, sinkStream)
  return {
    dht,
    echoKey: echo.publicKey,
    sinkKey: sink.publicKey,
    async close() {
      await Promise.allSettled(servers.map((s) => s.close()))
      await dht.destroy()
    }
  }
}

/** Echo with backpressure: stop reading while the peer is not taking the echo. */
export function echoStream(s: SecretStream): void {
  s.on('data', (d: Buffer) => {
    if (!s.write(d)) {
      s.pause()
      s.once('drain', () => s.resume())
    }
  })
  s.on('end', () => s.end())
}

/** Sink: read everything, write one byte back per MiB received (what bench/plugins/sink does). */
export function sinkStream(s: SecretStream): void {
  let n = 0
  s.on('data', (d: Buffer) => {
    n += d.byteLength
    while (n >= ACK_EVERY) {
      n -= ACK_EVERY
      s.write(ACK)
    }
  })
  s.on('end', () => s.end())
}
