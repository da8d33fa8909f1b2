import { createServer, connect } from 'node:net'
import type { Server, Socket } from 'node:net'
import { chmod, rm } from 'node:fs/promises'
import { HypernetError } from '../errors.ts'
import type { Logger } from '../log/logger.ts'

/**
 * The daemon's control socket: a Unix socket in the host home (mode 0600: only the owner can
 * drive the daemon), speaking JSON lines. A request is `{ id, op, args }`; the answer is
 * `{ id, ok: true, result }` or `{ id, ok: false, error: { code, message } }`, optionally
 * preceded by `{ id, event }` lines for streaming answers (lookup). A malformed line gets an
 * error answer on that connection only.
 */

export type ControlHandler = (args: Record<string, any>, emit: (event: unknown) => void, signal: AbortSignal) => Promise<unknown>

const MAX_LINE = 64 * 1024

export class ControlServer {
  private server: Server | null = null
  private readonly sockets = new Set<Socket>()

  constructor(
    readonly path: string,
    private readonly handlers: Record<string, ControlHandler>,
    private readonly log: Logger
  ) {}

  /**
   * Listen; a stale socket file (no daemon answers on it) is replaced.
   * @throws DAEMON_RUNNING when a live daemon already owns the socket
   */
  async ready(): Promise<void> {
    if (this.server) return
    checkSocketPath(this.path)
    if (await isLive(this.path)) throw HypernetError.DAEMON_RUNNING(this.path)
    await rm(this.path, { force: true })
    const server = createServer((s) => this.onSocket(s))
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject)
      server.listen(this.path, () => resolve())
    })
    try {
      await chmod(this.path, 0o600)
    } catch (err) {
      // never leave a listening server (it would keep the process alive) or its socket file behind
      await new Promise<void>((resolve) => server.close(() => resolve()))
      await rm(this.path, { force: true })
      throw err
    }
    this.server = server
  }

  async close(): Promise<void> {
    const server = this.server
    if (!server) return
    this.server = null
    for (const s of this.sockets) s.destroy()
    await new Promise<void>((resolve) => server.close(() => resolve()))
    await rm(this.path, { force: true })
  }

  private onSocket(socket: Socket): void {
    this.sockets.add(socket)
    const aborts = new Set<AbortController>()
    socket.on('close', () => {
      this.sockets.delete(socket)
      for (const a of aborts) a.abort()
    })
    socket.on('error', () => {})
    let buf = ''
    socket.setEncoding('utf8')
    socket.on('data', (chunk: string) => {
      buf += chunk
      if (buf.length > MAX_LINE && !buf.includes('\n')) {
        socket.end(JSON.stringify({ id: null, ok: false, error: { code: 'BAD_MESSAGE', message: 'BAD_MESSAGE: control request longer than 64 KiB' } }) + '\n')
        return
      }
      let nl: number
      while ((nl = buf.indexOf('\n')) !== -1) {
        const line = buf.slice(0, nl)
        buf = buf.slice(nl + 1)
        if (line.trim()) void this.onLine(socket, line, aborts)
      }
    })
  }

  private async onLine(socket: Socket, line: string, aborts: Set<AbortController>): Promise<void> {
    const send = (msg: unknown) => {
      if (!socket.destroyed) socket.write(JSON.stringify(msg) + '\n')
    }
    let req: { id?: unknown; op?: unknown; args?: unknown }
    try {
      req = JSON.parse(line)
    } catch {
      send({ id: null, ok: false, error: { code: 'BAD_MESSAGE', message: 'BAD_MESSAGE: control request is not JSON' } })
      return
    }
    const handler = typeof req.op === 'string' ? this.handlers[req.op] : undefined
    if (!handler) {
      send({ id: req.id ?? null, ok: false, error: { code: 'USAGE', message: `USAGE: unknown control operation ${JSON.stringify(req.op)}` } })
      return
    }
    const abort = new AbortController()
    aborts.add(abort)
    try {
      const result = await handler((req.args ?? {}) as Record<string, any>, (event) => send({ id: req.id, event }), abort.signal)
      send({ id: req.id, ok: true, result })
    } catch (err) {
      const e = err instanceof HypernetError ? err : HypernetError.INTERNAL((err as Error)?.message ?? String(err), err)
      if (e.code === 'INTERNAL') this.log.error('control operation failed', { op: req.op, error: (err as Error)?.stack })
      send({ id: req.id, ok: false, error: { code: e.code, message: e.message } })
    } finally {
      aborts.delete(abort)
    }
  }
}

/**
 * A Unix socket path longer than the kernel's `sun_path` (108 bytes on Linux, 104 on macOS and
 * the BSDs, both with a terminating NUL) is silently truncated by bind: the socket lands at
 * another path. Refuse it before binding.
 * @throws SOCKET_PATH_TOO_LONG
 */
export function checkSocketPath(path: string): void {
  const max = process.platform === 'linux' ? 107 : 103
  const bytes = Buffer.byteLength(path)
  if (bytes > max) throw HypernetError.SOCKET_PATH_TOO_LONG(path, bytes, max)
}

/** Whether a daemon answers on the socket at `path`. */
export function isLive(path: string): Promise<boolean> {
  return new Promise((resolve) => {
    const s = connect(path)
    s.once('connect', () => {
      s.destroy()
      resolve(true)
    })
    s.once('error', () => resolve(false))
  })
}
