import { Worker } from 'node:worker_threads'
import { HypernetError } from '../errors.ts'
import { BatchReader, Outbox } from './outbox.ts'
import { RUNTIME_LIMITS } from './plugin-limits.ts'
import { EXPORT_NAMES, FROM_WORKER, STAMP, TO_WORKER } from './protocol.ts'
import type { WorkerInit } from './protocol.ts'

/**
 * The host thread's end of one plugin worker (one incarnation of a plugin). It starts the
 * worker, batches ops to it, routes ops from it, and watches the call deadline: the worker
 * stamps each call's start in shared memory and a timer here terminates the worker when a
 * stamp gets older than the deadline (a looping plugin never returns, so only this thread can
 * stop it). Any unexpected end is reported once through `onDeath`, after `start()` resolved.
 */

export interface WorkerChannelOptions {
  app: string
  source: URL
  init: Omit<WorkerInit, 'stamp'>
  /** Routes every op other than READY, FATAL and STOPPED. */
  onOp: (op: number, conn: number, arg: unknown) => void
  onDeath: (err: HypernetError) => void
}

export class WorkerChannel {
  readonly out: Outbox
  private readonly worker: Worker
  private readonly stampStart: Float64Array
  private readonly stampWhich: Int32Array
  private readonly watch: NodeJS.Timeout
  private started = false

  /** True once the plugin's hn_on_start returned 0 and until the worker ends. */
  get running(): boolean {
    return this.started && !this.ended
  }
  private ended = false
  private startWaiter: { resolve: () => void; reject: (err: HypernetError) => void } | null = null
  private stopWaiter: (() => void) | null = null

  constructor(private readonly opts: WorkerChannelOptions) {
    const stamp = new SharedArrayBuffer(STAMP.bytes)
    this.stampStart = new Float64Array(stamp, 0, 1)
    this.stampWhich = new Int32Array(stamp, 0, STAMP.bytes / 4)
    this.worker = new Worker(opts.source, {
      name: `plugin:${opts.app}`,
      workerData: { ...opts.init, stamp } satisfies WorkerInit,
      // Extism imports node:wasi, which warns on Node 20; the host's output stays clean
      execArgv: ['--disable-warning=ExperimentalWarning'],
      resourceLimits: { maxOldGenerationSizeMb: RUNTIME_LIMITS.workerOldGenMiB, maxYoungGenerationSizeMb: RUNTIME_LIMITS.workerYoungGenMiB },
      stdout: false,
      stderr: false
    })
    this.out = new Outbox((ops, transfer) => {
      if (!this.ended) this.worker.postMessage(ops, transfer)
    }, true)
    this.worker.on('message', (ops: unknown[]) => this.onBatch(ops))
    this.worker.on('error', (err: Error & { code?: string }) => {
      const why = err.code === 'ERR_WORKER_OUT_OF_MEMORY' ? `its worker ran out of JS heap (${RUNTIME_LIMITS.workerOldGenMiB} MiB)` : `its worker failed: ${err.message}`
      this.die(HypernetError.PLUGIN_CRASHED(opts.app, why))
    })
    this.worker.on('exit', (code) => this.die(HypernetError.PLUGIN_CRASHED(opts.app, `its worker exited (code ${code})`)))
    const ms = opts.init.callTimeoutMs
    this.watch = setInterval(() => this.checkDeadline(), Math.min(100, Math.max(5, Math.floor(ms / 4))))
    this.watch.unref()
  }

  /** Resolves when the plugin's hn_on_start returned 0. Rejects with the reason it did not start. */
  start(): Promise<void> {
    return new Promise((resolve, reject) => {
      const t = setTimeout(() => this.die(HypernetError.PLUGIN_CRASHED(this.opts.app, `did not start within ${RUNTIME_LIMITS.startTimeoutMs} ms`)), RUNTIME_LIMITS.startTimeoutMs)
      t.unref()
      this.startWaiter = {
        resolve: () => (clearTimeout(t), resolve()),
        reject: (err) => (clearTimeout(t), reject(err))
      }
    })
  }

  /** Let the plugin see its connections close (SHUTDOWN), then terminate it. Never rejects. */
  async stop(): Promise<void> {
    if (this.ended) return
    if (!this.started) return this.terminate()
    await new Promise<void>((resolve) => {
      const t = setTimeout(resolve, RUNTIME_LIMITS.stopTimeoutMs)
      t.unref()
      this.stopWaiter = () => (clearTimeout(t), resolve())
      this.out.push(TO_WORKER.STOP, 0, 0)
    })
    await this.terminate()
  }

  /** Terminate the worker now; no death is reported. Idempotent. */
  async terminate(): Promise<void> {
    this.ended = true
    clearInterval(this.watch)
    this.out.clear()
    if (this.startWaiter) {
      this.startWaiter.reject(HypernetError.PLUGIN_CLOSED(this.opts.app))
      this.startWaiter = null
    }
    await this.worker.terminate()
  }

  private onBatch(ops: unknown[]): void {
    const batch = new BatchReader(ops)
    for (let i = 0; i < batch.length; i += 3) {
      const op = ops[i] as number
      if (op === FROM_WORKER.READY) {
        this.started = true
        this.startWaiter?.resolve()
        this.startWaiter = null
      } else if (op === FROM_WORKER.FATAL) {
        return this.die(HypernetError.fromJSON(ops[i + 2] as any))
      } else if (op === FROM_WORKER.STOPPED) {
        this.stopWaiter?.()
      } else if (!this.ended) {
        this.opts.onOp(op, ops[i + 1] as number, op === FROM_WORKER.SEND ? batch.bytes(ops[i + 2]) : ops[i + 2])
      }
    }
  }

  private checkDeadline(): void {
    const start = this.stampStart[STAMP.startF64]
    if (start === 0 || this.ended) return
    const elapsed = performance.timeOrigin + performance.now() - start
    if (elapsed > this.opts.init.callTimeoutMs) {
      const call = EXPORT_NAMES[this.stampWhich[STAMP.exportI32]] ?? 'a call'
      this.die(HypernetError.PLUGIN_TIMEOUT(this.opts.app, this.opts.init.callTimeoutMs, call))
    }
  }

  private die(err: HypernetError): void {
    if (this.ended) return
    this.ended = true
    clearInterval(this.watch)
    this.out.clear()
    // terminate() settles once the thread is gone; the caller awaits terminate() again before restarting
    this.worker.terminate().catch(() => {})
    if (this.startWaiter) {
      this.startWaiter.reject(err)
      this.startWaiter = null
    } else if (this.started) this.opts.onDeath(err)
  }
}
