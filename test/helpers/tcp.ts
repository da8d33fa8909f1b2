import { createHash } from 'node:crypto'
import { connect, createServer } from 'node:net'
import type { Server, Socket } from 'node:net'

/**
 * Plain TCP ends for bridge tests, all on 127.0.0.1: servers that echo or digest what they
 * get, clients that send, half-close and collect the reply.
 */

/** A port that was free a moment ago (bind to 0, read it, close). */
export async function freePort(): Promise<number> {
  const s = createServer()
  await new Promise<void>((resolve) => s.listen(0, '127.0.0.1', () => resolve()))
  const port = (s.address() as { port: number }).port
  await new Promise<void>((resolve) => s.close(() => resolve()))
  return port
}

export interface TestServer {
  server: Server
  port: number
  sockets: Set<Socket>
  close(): Promise<void>
}

/** A TCP server on 127.0.0.1 running `onSocket` for each connection (half-open allowed). */
export async function tcpServer(onSocket: (s: Socket) => void): Promise<TestServer> {
  const sockets = new Set<Socket>()
  const server = createServer({ allowHalfOpen: true }, (s) => {
    sockets.add(s)
    s.on('close', () => sockets.delete(s))
    s.on('error', () => {})
    onSocket(s)
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()))
  return {
    server,
    port: (server.address() as { port: number }).port,
    sockets,
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy()
        server.close(() => resolve())
      })
  }
}

/** Echo every byte back; end when the client ends. */
export function echo(s: Socket): void {
  s.pipe(s)
}

/** Read everything until the client half-closes, then answer `sha256:<hex> <n>` and end. */
export function digest(s: Socket): void {
  const h = createHash('sha256')
  let n = 0
  s.on('data', (d: Buffer) => {
    h.update(d)
    n += d.length
  })
  s.on('end', () => s.end(`sha256:${h.digest('hex')} ${n}`))
}

export interface Exchange {
  reply: Buffer
  /** 'end' when the reply ended cleanly, else the error code (e.g. ECONNRESET). */
  how: string
}

/** Connect, send `data`, half-close, and collect the reply until the connection ends or fails. */
export function exchange(port: number, data: Buffer, timeoutMs = 15_000): Promise<Exchange> {
  return new Promise((resolve) => {
    const s = connect({ host: '127.0.0.1', port, allowHalfOpen: true })
    const chunks: Buffer[] = []
    let done = false
    const finish = (how: string) => {
      if (done) return
      done = true
      clearTimeout(timer)
      s.destroy()
      resolve({ reply: Buffer.concat(chunks), how })
    }
    const timer = setTimeout(() => finish('timeout'), timeoutMs)
    s.on('data', (d: Buffer) => chunks.push(d))
    s.on('end', () => finish('end'))
    s.on('error', (err: NodeJS.ErrnoException) => finish(err.code ?? err.message))
    s.on('close', () => finish('close'))
    s.end(data)
  })
}

/** sha256 hex of bytes. */
export function sha256(b: Buffer): string {
  return createHash('sha256').update(b).digest('hex')
}
