import { spawn } from 'node:child_process'
import type { ChildProcess } from 'node:child_process'
import { createInterface } from 'node:readline'
import { fileURLToPath } from 'node:url'

/** Drive agent.ts processes inside namespaces (the NAT testbed's hosts) by JSON lines. */

const REPO = fileURLToPath(new URL('../../', import.meta.url))

export interface Agent {
  ready: Record<string, any>
  ask(op: string, args?: Record<string, unknown>): Promise<Record<string, any>>
  stop(): Promise<void>
}

/** Start an agent inside `ns`, stopped by `defer` whatever happens, and wait for its ready line. */
export async function agent(ns: string, args: string[], defer: (fn: () => unknown) => void): Promise<Agent> {
  const child: ChildProcess = spawn('ip', ['netns', 'exec', ns, process.execPath, '--import', 'tsx', 'test/nat/agent.ts', ...args], {
    cwd: REPO,
    stdio: ['pipe', 'pipe', 'pipe']
  })
  const stop = async () => {
    if (child.exitCode !== null || child.signalCode !== null) return
    const exited = new Promise((resolve) => child.once('exit', resolve))
    child.stdin!.end()
    const timer = setTimeout(() => child.kill('SIGKILL'), 5000)
    await exited
    clearTimeout(timer)
  }
  defer(stop)
  let stderr = ''
  child.stderr!.on('data', (d) => (stderr = (stderr + d).slice(-4000)))
  const waiting = new Map<number, (m: Record<string, any>) => void>()
  let onReady: (m: Record<string, any>) => void = () => {}
  let onExit: (code: number | null) => void = () => {}
  child.once('exit', (code) => onExit(code))
  createInterface({ input: child.stdout! }).on('line', (line) => {
    let m: Record<string, any>
    try {
      m = JSON.parse(line)
    } catch {
      return
    }
    if (m.ready) onReady(m)
    else waiting.get(m.id)?.(m)
  })
  let timer: NodeJS.Timeout | undefined
  const ready = await new Promise<Record<string, any>>((resolve, reject) => {
    onReady = resolve
    onExit = (code) => reject(new Error(`agent ${args.join(' ')} in ${ns} exited ${code}: ${stderr}`))
    timer = setTimeout(() => reject(new Error(`agent ${args.join(' ')} in ${ns} not ready in 60 s: ${stderr}`)), 60_000)
  }).finally(() => clearTimeout(timer))
  let next = 1
  return {
    ready,
    ask(op, extra = {}) {
      const id = next++
      return new Promise((resolve, reject) => {
        const t = setTimeout(() => reject(new Error(`agent in ${ns}: no answer to ${op} in 40 s`)), 40_000)
        waiting.set(id, (m) => {
          clearTimeout(t)
          waiting.delete(id)
          resolve(m)
        })
        child.stdin!.write(JSON.stringify({ id, op, ...extra }) + '\n')
      })
    },
    stop
  }
}
