import type { Server } from 'node:http'
import { HypernetError } from '../errors.ts'

/**
 * Listen on host:port; a port in use is ADDRESS_IN_USE naming `flag` (the option that chose it).
 * @throws ADDRESS_IN_USE, or the listen error
 */
export function listenHttp(server: Server, address: { host: string; port: number }, flag: string): Promise<void> {
  const { host, port } = address
  return new Promise<void>((resolve, reject) => {
    const onError = (err: NodeJS.ErrnoException) => {
      if (err.code === 'EADDRINUSE') reject(HypernetError.ADDRESS_IN_USE(flag, `${host}:${port}`, undefined, err))
      else reject(err)
    }
    server.once('error', onError)
    server.listen(port, host, () => {
      server.off('error', onError)
      resolve()
    })
  })
}

/** A host as it stands in a URL or a Host header: IPv6 in brackets. */
export function urlHost(host: string): string {
  return host.includes(':') ? `[${host}]` : host
}
