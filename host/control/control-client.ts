import { connect } from 'node:net'
import type { Socket } from 'node:net'
import { stat } from 'node:fs/promises'
import { HypernetError } from '../errors.ts'
import type { HypernetErrorCode } from '../errors.ts'

/**
 * Talk to a running daemon over its control socket.
 * @throws DAEMON_UNREACHABLE when no daemon runs (no socket) or the socket is stale
 */
export async function callDaemon<T = unknown>(
  path: string,
  op: string,
  args: Record<string, unknown> = {},
  onEvent?: (event: any) => void,
  signal?: AbortSignal
): Promise<T> {
  const socket = await open(path)
  return new Promise<T>((resolve, reject) => {
    let buf = ''
    let settled = false
    const finish = (fn: () => void) => {
      if (settled) return
      settled = true
      socket.destroy()
      fn()
    }
    signal?.addEventListener('abort', () => finish(() => reject(HypernetError.TIMEOUT('cancelled'))), { once: true })
    socket.setEncoding('utf8')
    socket.on('data', (chunk: string) => {
      buf += chunk
      let nl: number
      while ((nl = buf.indexOf('\n')) !== -1) {
        const msg = JSON.parse(buf.slice(0, nl))
        buf = buf.slice(nl + 1)
        if (msg.event !== undefined) onEvent?.(msg.event)
        else if (msg.ok) finish(() => resolve(msg.result as T))
        else finish(() => reject(new HypernetError(msg.error.code as HypernetErrorCode, String(msg.error.message).replace(/^[A-Z_]+: /, ''))))
      }
    })
    socket.on('error', (err) => finish(() => reject(HypernetError.DAEMON_UNREACHABLE(path, `the daemon connection failed (${err.message})`))))
    socket.on('close', () => finish(() => reject(HypernetError.DAEMON_UNREACHABLE(path, 'the daemon closed the connection without answering'))))
    socket.write(JSON.stringify({ id: 1, op, args }) + '\n')
  })
}

/** Whether a daemon answers at `path` (without raising). */
export async function daemonRunning(path: string): Promise<boolean> {
  try {
    ;(await open(path)).destroy()
    return true
  } catch {
    return false
  }
}

async function open(path: string): Promise<Socket> {
  try {
    await stat(path)
  } catch {
    throw HypernetError.DAEMON_UNREACHABLE(path)
  }
  return new Promise((resolve, reject) => {
    const s = connect(path)
    s.once('connect', () => resolve(s))
    s.once('error', (err: NodeJS.ErrnoException) => {
      const why =
        err.code === 'ECONNREFUSED'
          ? 'the socket is stale: no daemon answers on it (did it crash? start it again)'
          : `cannot reach the daemon (${err.code ?? err.message})`
      reject(HypernetError.DAEMON_UNREACHABLE(path, why))
    })
  })
}
