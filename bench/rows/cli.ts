import { execFile, spawn } from 'node:child_process'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { promisify } from 'node:util'
import { buildDist } from '../../scripts/build-dist.js'
import type { BenchOptions } from '../args.ts'
import { median, now } from '../stats.ts'
import { row } from '../table.ts'
import type { Row } from '../table.ts'

/**
 * Row 11: how long the command takes to answer, wall time of a whole process as a shell sees
 * it. 11a `hypernet-host --version`, 11b `hypernet-host status` against a running daemon
 * (`start --local` without onion relays, in a home of its own). It measures the build, as the
 * package runs it: dist/ is rebuilt first (well under a second), so bin/ picks it. A bare
 * `node -e 0` in the same rounds is the floor.
 */

const run = promisify(execFile)
const BIN = fileURLToPath(new URL('../../bin/hypernet-host.js', import.meta.url))

export async function cliRows(o: BenchOptions): Promise<Row[]> {
  await buildDist()
  const home = await mkdtemp(join(tmpdir(), 'hn-bench-cli-'))
  const env = { ...process.env, HYPERNET_HOME: home, NODE_OPTIONS: '' }
  const wall = async (args: string[]) => {
    const t = now()
    await run(process.execPath, args, { env })
    return now() - t
  }
  const daemon = spawn(process.execPath, [BIN, 'start', '--local', '--local-relays', '0'], { env, stdio: ['ignore', 'pipe', 'ignore'] })
  const exited = new Promise((resolve) => daemon.once('exit', resolve))
  try {
    let banner = ''
    daemon.stdout.on('data', (d) => (banner += d))
    for (let i = 0; i < 400 && !banner.includes('Stop with'); i++) {
      if (daemon.exitCode !== null) throw new Error('bench: start --local exited before its banner')
      await new Promise((r) => setTimeout(r, 50))
    }
    await wall([BIN, '--version']) // warm the file cache
    const node: number[] = []
    const version: number[] = []
    const status: number[] = []
    for (let r = 0; r < o.rounds; r++) {
      node.push(await wall(['-e', '0']))
      version.push(await wall([BIN, '--version']))
      status.push(await wall([BIN, 'status']))
    }
    const floor = `node -e 0: ${median(node).toFixed(0)} ms`
    return [
      row({
        id: '11a',
        measure: 'CLI --version, whole process',
        unit: 'ms',
        rounds: o.rounds,
        project: median(version),
        target: { kind: 'max', value: 100 },
        detail: `${floor}; built dist/ run by bin/`,
        extra: { node, version }
      }),
      row({
        id: '11b',
        measure: 'CLI status of a running daemon, whole process',
        unit: 'ms',
        rounds: o.rounds,
        project: median(status),
        target: { kind: 'none' },
        detail: `${floor}; loads the host's modules, then one control-socket round trip`,
        extra: { status }
      })
    ]
  } finally {
    if (daemon.exitCode === null) daemon.kill('SIGTERM')
    await exited
    await rm(home, { recursive: true, force: true })
  }
}
