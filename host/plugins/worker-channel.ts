import { Worker } from 'node:worker_threads'
import { HypernetError } from '../errors.ts'
import { KIND } from './op-ring.ts'
import { Outbox } from './outbox.ts'
import { RUNTIME_LIMITS } from './plugin-limits.ts'
import { EXPORT_NAMES, FROM_WORKER, RING, STAMP, TO_WORKER, WORKER_STATE } from './protocol.ts'
import type { WorkerInit } from './protocol.ts'
import { allocateRings, openRings } from './ring-pair.ts'
import type { RingPair } from './ring-pair.ts'

/**
 * The host thread's end of one plugin worker (one incarnation of a plugin). It starts the
 * worker, writes ops to it and reads ops from it through the op rings (ring-pair.ts), and
 * watches the call deadline: the worker stamps each call's start in shared memory and a timer
 * here terminates the worker when a stamp gets older than the deadline (a looping plugin never
 * returns, so only this thread can stop it). Any unexpected end is reported once through
 * `onDeath`, after `start()` resolved.
 *
 * This thread never blocks: it waits for the worker's ops with Atomics.waitAsync, and wakes
 * the worker with Atomics.notify (or a message, when the worker idles in its event loop; see
 * worker/worker-loop.ts). CREDIT ops do not wake the worker unless it waits for credit.
 */

export interface WorkerChannelOptions {
  app: string
  source: URL
  init: Omit<WorkerInit, 'stamp' | 'ring'>
  /** Routes every op other than READY, FATAL and STOPPED. */
  onOp: (op: number, conn: number, arg: unknown) => void
  onDeath: (err: HypernetError) => void
}

export class WorkerChannel {
  readonly out: Outbox
  /** For the connection table: ACK ops arrive unannounced unless it says it wants them. */
  readonly acks = {
    /** While true, every ACK wakes this thread. */
    want: (yes: boolean): void => void Atomics.store(this.rings.ctrl, RING.wantAcks, yes ? 1 : 0),
    /** Read the worker's ops now. */
    poll: (): void => this.drain()
  }
  private readonly worker: Worker
  private readonly rings: RingPair
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
    const ring = allocateRings()
    this.rings = openRings(ring, 'host')
    this.worker = new Worker(opts.source, {
      name: `plugin:${opts.app}`,
      workerData: { ...opts.init, stamp, ring } satisfies WorkerInit,
      // Extism imports node:wasi, which warns on Node 20; the host's output stays clean
      execArgv: ['--disable-warning=ExperimentalWarning'],
      resourceLimits: { maxOldGenerationSizeMb: RUNTIME_LIMITS.workerOldGenMiB, maxYoungGenerationSizeMb: RUNTIME_LIMITS.workerYoungGenMiB },
      stdout: false,
      stderr: false
    })
    this.out = new Outbox(
      this.rings.toWorker,
      (op) => op !== TO_WORKER.CREDIT || Atomics.load(this.rings.ctrl, RING.wantCredit) === 1,
      () => this.wakeWorker(),
      setImmediate // one wake for all a turn wrote
    )
    // only a FATAL that found the ring full comes as a message
    this.worker.on('message', (msg: unknown[]) => {
      this.drain()
      if (Array.isArray(msg) && msg[0] === FROM_WORKER.FATAL) this.die(HypernetError.fromJSON(msg[2] as any))
    })
    this.worker.on('error', (err: Error & { code?: string }) => {
      const why = err.code === 'ERR_WORKER_OUT_OF_MEMORY' ? `its worker ran out of JS heap (${RUNTIME_LIMITS.workerOldGenMiB} MiB)` : `its worker failed: ${err.message}`
      this.die(HypernetError.PLUGIN_CRASHED(opts.app, why))
    })
    this.worker.on('exit', (code) => this.die(HypernetError.PLUGIN_CRASHED(opts.app, `its worker exited (code ${code})`)))
    const ms = opts.init.callTimeoutMs
    this.watch = setInterval(() => this.checkDeadline(), Math.min(100, Math.max(5, Math.floor(ms / 4))))
    this.watch.unref()
    this.arm()
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
    this.end()
    if (this.startWaiter) {
      this.startWaiter.reject(HypernetError.PLUGIN_CLOSED(this.opts.app))
      this.startWaiter = null
    }
    await this.worker.terminate()
  }

  /** Read every op the worker wrote, wake it if it waits for room, send what waited for room. */
  private drain(): void {
    if (this.ended) return
    this.rings.fromWorker.read(this.onRecord)
    if (this.rings.fromWorker.takeFull()) this.wakeWorker()
    this.out.flush()
  }

  /** Drain, then wait (without blocking) until the worker notifies. */
  private arm(): void {
    const { ctrl, fromWorker } = this.rings
    for (;;) {
      const bell = Atomics.load(ctrl, RING.hostBell)
      this.drain()
      if (this.ended) return
      Atomics.store(ctrl, RING.hostSleeping, 1)
      if (fromWorker.pending) {
        Atomics.store(ctrl, RING.hostSleeping, 0)
        continue
      }
      const w = Atomics.waitAsync(ctrl, RING.hostBell, bell)
      if (w.async) return void w.value.then(this.onWake)
      Atomics.store(ctrl, RING.hostSleeping, 0)
    }
  }

  private readonly onWake = (): void => {
    Atomics.store(this.rings.ctrl, RING.hostSleeping, 0)
    this.arm()
  }

  private wakeWorker(): void {
    const { ctrl } = this.rings
    Atomics.add(ctrl, RING.workerBell, 1)
    const state = Atomics.load(ctrl, RING.workerState)
    if (state === WORKER_STATE.WAITING) {
      if (Atomics.compareExchange(ctrl, RING.workerState, state, WORKER_STATE.RUNNING) === state) Atomics.notify(ctrl, RING.workerBell)
    } else if (state === WORKER_STATE.COLD) {
      if (Atomics.compareExchange(ctrl, RING.workerState, state, WORKER_STATE.RUNNING) === state && !this.ended) this.worker.postMessage(0)
    }
  }

  private readonly onRecord = (op: number, conn: number, kind: number, num: number, bytes: Uint8Array | null): void => {
    if (op === FROM_WORKER.READY) {
      this.started = true
      this.startWaiter?.resolve()
      this.startWaiter = null
    } else if (op === FROM_WORKER.FATAL) {
      this.die(HypernetError.fromJSON(json(bytes!)))
    } else if (op === FROM_WORKER.STOPPED) {
      this.stopWaiter?.()
    } else if (!this.ended) {
      this.opts.onOp(op, conn, kind === KIND.NUMBER ? num : kind === KIND.JSON ? json(bytes!) : bytes)
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

  /** Stop reading and writing; release our Atomics.waitAsync. */
  private end(): void {
    this.ended = true
    clearInterval(this.watch)
    this.out.clear()
    Atomics.add(this.rings.ctrl, RING.hostBell, 1)
    Atomics.notify(this.rings.ctrl, RING.hostBell)
  }

  private die(err: HypernetError): void {
    if (this.ended) return
    this.end()
    // terminate() settles once the thread is gone; the caller awaits terminate() again before restarting
    this.worker.terminate().catch(() => {})
    if (this.startWaiter) {
      this.startWaiter.reject(err)
      this.startWaiter = null
    } else if (this.started) this.opts.onDeath(err)
  }
}

function json(bytes: Uint8Array): any {
  return JSON.parse(Buffer.from(bytes).toString('utf8'))
}
