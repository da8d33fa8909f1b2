import { HypernetError, isHypernetError } from '../../errors.ts'
import { formatId, parseHash } from '../../encoding/ids.ts'
import { dialServiceHash } from '../../net/dialer.ts'
import { connectWithRelay } from '../../net/relay-connect.ts'
import { RelayDirectory } from '../../net/relay-directory.ts'
import { silentLogger } from '../../log/logger.ts'
import type { CliContext } from '../context.ts'
import { commandDht } from './network.ts'

/**
 * Join a service connection to stdin/stdout. The target is tried as a service hash first (a
 * verified peer), then as a service key.
 * @throws BAD_HASH, NOT_FOUND, CONNECTION_FAILED
 */
export async function connectCmd(ctx: CliContext, args: { target: string; bootstrap?: string[]; timeout: number }): Promise<void> {
  const id = parseHash(args.target, 'target')
  const dht = await commandDht(ctx, args.bootstrap)
  // relays are looked up only if a hole cannot be punched
  const relays = new RelayDirectory(dht, silentLogger())
  const connect = (key: Buffer, timeoutMs: number) => connectWithRelay(dht, key, { relays, timeoutMs })
  try {
    let stream
    try {
      const r = await dialServiceHash(dht, id, { timeoutMs: args.timeout * 1000, connect })
      stream = r.stream
      if (!ctx.quiet) ctx.io.stderr.write(`connected to ${r.peer.app}@${r.peer.version} ${r.peer.service} on host ${r.peer.hostKey.slice(0, 16)}… (key ${r.peer.serviceKey})\n`)
    } catch (err) {
      if (!isHypernetError(err, 'NOT_FOUND')) throw err
      stream = await connect(id, args.timeout * 1000)
      if (!ctx.quiet) ctx.io.stderr.write(`connected to service key ${formatId(id)}\n`)
    }
    await new Promise<void>((resolve, reject) => {
      const input = ctx.io.stdin
      input.on('data', (d: Buffer) => stream.write(d))
      input.on('end', () => stream.end())
      stream.on('data', (d: Buffer) => ctx.io.stdout.write(d))
      stream.on('end', () => resolve())
      stream.on('error', (err: Error) => reject(HypernetError.CONNECTION_FAILED(`the connection failed: ${err.message}`, err)))
      stream.on('close', () => resolve())
    })
  } finally {
    await dht.destroy()
  }
}
