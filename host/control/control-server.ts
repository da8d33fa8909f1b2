import { createServer, connect } from 'node:net'
import type { Server, Socket } from 'node:net'
import { chmod, rm } from 'node:fs/promises'
import { dirname } from 'node:path'
import type { ValidateFunction } from 'ajv'
import { CONTROL } from '../constants.ts'
import { HypernetError } from '../errors.ts'
import type { Logger } from '../log/index.ts'
import { ControlSchemas, checkArgs } from './control-args.ts'
import type { ArgsSchema } from './control-args.ts'
import { makeDirs } from '../util/make-dirs.ts'

/**
 * The daemon's control socket: a Unix socket in the host home (mode 0600: only the owner can
 * drive the daemon), speaking JSON lines. A request is `{ id, op, args }`; the answer is
 * `{ id, ok: true, result }` or `{ id, ok: false, error: { code, message } }`, optionally
 * preceded by `{ id, event }` lines for streaming answers (lookup).
 *
 * Nothing a client sends can hurt the daemon or another connection: a line that is not UTF-8,
 * not JSON, not an object, names an unknown operation or has args its schema refuses gets a
 * coded error answer (BAD_MESSAGE, UNKNOWN_OP, BAD_ARGS) and the connection goes on; a line
 * longer than 64 KiB is refused (MESSAGE_TOO_LARGE) and that connection closed; connections
 * beyond 64 are refused (CONTROL_BUSY); a connection reads no further while 16 of its requests
 * run or its answers are unread; an idle one is closed after 60 s (limits: CONTROL in constants.ts).
 */

export type ControlHandler = (args: Record<string, any>, emit: (event: unknown) => void, signal: AbortSignal) => Promise<unknown>

/** One control operation: the schema its `args` must match, and what it does. */
export interface ControlOp {
  args: ArgsSchema
  run: ControlHandler
}

export interface ControlServerInit {
  maxLineBytes?: number
  maxConnections?: number
  maxInFlight?: number
  idleMs?: number
}

const UTF8 = new TextDecoder('utf-8', { fatal: true })

export class ControlServer {
  private server: Server | null = null
  private readonly sockets = new Set<Socket>()
  // a Map, never an object lookup: `constructor`, `__proto__` and `toString` are not operations
  private readonly ops = new Map<string, { run: ControlHandler; check: ValidateFunction }>()
  private readonly schemas = new ControlSchemas()
  private readonly limits: Required<ControlServerInit>

  constructor(
    readonly path: string,
    ops: Record<string, ControlOp>,
    private readonly log: Logger,
    init: ControlServerInit = {}
  ) {
    for (const [name, op] of Object.entries(ops)) this.ops.set(name, { run: op.run, check: this.schemas.compile(op.args) })
    this.limits = { ...CONTROL, ...init }
  }

  /**
   * Listen; a stale socket file (no daemon answers on it) is replaced.
   * @throws DAEMON_RUNNING when a live daemon already owns the socket
   */
  async ready(): Promise<void> {
    if (this.server) return
    checkSocketPath(this.path)
    if (await isLive(this.path)) throw HypernetError.DAEMON_RUNNING(this.path)
    await rm(this.path, { force: true })
    // a fresh home may not exist yet: nothing else has to have written to it first
    await makeDirs(dirname(this.path), 0o700)
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
    socket.on('error', () => {})
    if (this.sockets.size >= this.limits.maxConnections) {
      const e = HypernetError.CONTROL_BUSY(this.path, this.limits.maxConnections)
      // flushed, then gone: a socket nobody reads would never see its peer leave
      socket.end(JSON.stringify({ id: null, ok: false, error: { code: e.code, message: e.message } }) + '\n', () => socket.destroy())
      return
    }
    this.sockets.add(socket)
    const aborts = new Set<AbortController>()
    let buf: Buffer = Buffer.alloc(0)
    let inFlight = 0
    let closed = false
    socket.on('close', () => {
      closed = true
      this.sockets.delete(socket)
      for (const a of aborts) a.abort()
    })
    socket.setTimeout(this.limits.idleMs, () => {
      if (inFlight === 0) socket.destroy()
    })
    const send = (msg: unknown) => {
      if (!closed && socket.writable) socket.write(JSON.stringify(msg) + '\n')
    }
    const refuse = (id: unknown, err: HypernetError) => send({ id, ok: false, error: { code: err.code, message: err.message } })
    // take whole lines while the connection may run more; read no further while it may not
    const pump = () => {
      while (!closed && inFlight < this.limits.maxInFlight && !socket.writableNeedDrain) {
        const nl = buf.indexOf(0x0a)
        if (nl === -1 || nl > this.limits.maxLineBytes) {
          if (nl > this.limits.maxLineBytes || buf.length > this.limits.maxLineBytes) {
            refuse(null, HypernetError.MESSAGE_TOO_LARGE('control request', this.limits.maxLineBytes))
            closed = true
            buf = Buffer.alloc(0)
            socket.end(() => socket.destroy())
          }
          break
        }
        const line = buf.subarray(0, nl)
        buf = buf.subarray(nl + 1)
        inFlight++
        this.onLine(line, send, refuse, aborts)
          .catch((err) => this.log.error('control request failed outside its handler', { error: (err as Error)?.stack ?? String(err) }))
          .finally(() => {
            inFlight--
            pump()
          })
      }
      const hold = !closed && (inFlight >= this.limits.maxInFlight || socket.writableNeedDrain)
      if (hold) socket.pause()
      else socket.resume()
    }
    socket.on('drain', pump)
    socket.on('data', (chunk: Buffer) => {
      if (closed) return
      buf = buf.length === 0 ? chunk : Buffer.concat([buf, chunk])
      pump()
    })
  }

  private async onLine(
    line: Buffer,
    send: (msg: unknown) => void,
    refuse: (id: unknown, err: HypernetError) => void,
    aborts: Set<AbortController>
  ): Promise<void> {
    let text: string
    try {
      text = UTF8.decode(line)
    } catch {
      refuse(null, HypernetError.BAD_MESSAGE(`control request: expected UTF-8 text, got ${line.length} bytes that are not valid UTF-8`))
      return
    }
    if (!text.trim()) return
    let parsed: unknown
    try {
      parsed = JSON.parse(text)
    } catch (err) {
      refuse(null, HypernetError.BAD_MESSAGE(`control request: expected a JSON object { id, op, args }, got text that is not JSON (${(err as Error).message})`))
      return
    }
    let req
    try {
      req = this.schemas.checkEnvelope(parsed)
    } catch (err) {
      const id = (parsed as { id?: unknown } | null)?.id
      refuse(typeof id === 'number' || (typeof id === 'string' && id.length <= 64) ? id : null, err as HypernetError)
      return
    }
    const id = req.id ?? null
    const op = this.ops.get(req.op)
    if (!op) {
      refuse(id, HypernetError.UNKNOWN_OP(req.op, [...this.ops.keys()]))
      return
    }
    const args = req.args ?? {}
    const abort = new AbortController()
    aborts.add(abort)
    try {
      checkArgs(req.op, op.check, args)
      const result = await op.run(args, (event) => send({ id, event }), abort.signal)
      send({ id, ok: true, result })
    } catch (err) {
      const e = err instanceof HypernetError ? err : HypernetError.INTERNAL((err as Error)?.message ?? String(err), err)
      if (e.code === 'INTERNAL') this.log.error('control operation failed', { op: req.op, error: (err as Error)?.stack })
      refuse(id, e)
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
