import { createSocket } from 'node:dgram'
import { HypernetError } from '../../errors.ts'

/**
 * Whether a UDP port can be bound, asked before `start` makes anything in the home: the DHT
 * finds a taken port only once the host key, logs and store exist. The port is let go at once
 * (the DHT binding it later still reports a port taken in between).
 * @throws ADDRESS_IN_USE naming the flag, the address and what it is
 */
export function checkUdpPort(flag: string, host: string, port: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const socket = createSocket('udp4')
    socket.once('error', (err: NodeJS.ErrnoException) => {
      socket.close()
      reject(err.code === 'EADDRINUSE' ? HypernetError.ADDRESS_IN_USE(flag, `${host}:${port}`, undefined, err, 'UDP port') : err)
    })
    socket.bind(port, host, () => socket.close(() => resolve()))
  })
}
