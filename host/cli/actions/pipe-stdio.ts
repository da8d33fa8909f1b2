import type { Duplex } from 'node:stream'
import { HypernetError } from '../../errors.ts'
import type { CliContext } from '../context.ts'

/**
 * Join an open stream to stdin/stdout until it ends. Stdin stops being read once the stream is
 * over, since a pipe that stays open (a script still writing) would otherwise keep the process
 * alive after the connection failed.
 * @throws CONNECTION_FAILED when the stream fails (a HypernetError keeps its own code)
 */
export async function pipeStdio(ctx: CliContext, stream: Duplex): Promise<void> {
  const input = ctx.io.stdin
  const onData = (d: Buffer) => stream.write(d)
  const onEnd = () => stream.end()
  input.on('data', onData)
  input.on('end', onEnd)
  let onGone = (_err: NodeJS.ErrnoException): void => {}
  try {
    await new Promise<void>((resolve, reject) => {
      stream.on('data', (d: Buffer) => ctx.io.stdout.write(d))
      stream.on('end', () => resolve())
      // circuit errors keep their code (CIRCUIT_FAILED, CIRCUIT_TAMPERED): they say what to do
      stream.on('error', (err: Error) =>
        reject(err instanceof HypernetError ? err : HypernetError.CONNECTION_FAILED(`the connection failed: ${err.message}`, err))
      )
      stream.on('close', () => resolve())
      // the reader of our output went away (`connect ... | head`): nothing more can be delivered
      onGone = (err: NodeJS.ErrnoException) => (err.code === 'EPIPE' ? resolve() : undefined)
      ctx.io.stdout.on('error', onGone)
    })
  } finally {
    input.removeListener('data', onData)
    input.removeListener('end', onEnd)
    ctx.io.stdout.removeListener('error', onGone)
    input.pause()
  }
}
