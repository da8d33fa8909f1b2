import type { OpRing } from '../op-ring.ts'
import { RUNTIME_LIMITS } from '../plugin-limits.ts'
import { RING, WORKER_STATE } from '../protocol.ts'

/**
 * How a plugin's worker waits for ops from the host thread. Waking a sleeping thread is the
 * largest cost of a small round trip on these VMs (a woken vCPU takes tens of µs), so:
 *   - hot (an op in the last RUNTIME_LIMITS.workerHotMs): the worker sleeps in Atomics.wait on
 *     its bell (RING.workerBell; a futex: the host thread's Atomics.notify wakes it), in
 *     slices of at most RUNTIME_LIMITS.workerSliceMs, returning to its event loop between
 *     slices so its timers run (late by at most a slice);
 *   - and, only while the gaps between ops are about RUNTIME_LIMITS.workerSpinMicros or less
 *     and the data in them small (a quick request/response exchange, not a bulk transfer,
 *     which gains nothing from it and needs the CPU), it first spins that long on the ring's
 *     head: no wake-up at all, at the price of that CPU while the exchange lasts. A worker
 *     that stopped spinning tries again every 16th idle moment, so a wake-up slowed by load
 *     cannot switch it off for good;
 *   - cold (idle longer): it returns to its event loop for good and the host thread rings a
 *     doorbell (a message) with the next op. An idle plugin costs no CPU.
 * A call into the plugin never happens while waiting, so the host thread's deadline and
 * worker.terminate() work as before; no wait is longer than a slice.
 */

export interface WorkerLoopOptions {
  ctrl: Int32Array
  /** The ring from the host thread. */
  inbound: OpRing
  /** Read the ring and do what it says (and flush what waits to go out); true when it held ops. */
  step: () => boolean
  /** Bytes of DATA read so far (a running count). */
  dataBytes: () => number
  /** Write what waits for room in the ring to the host thread. */
  flush: () => void
  /** True while a connection waits for send credit (then CREDIT ops must wake the worker). */
  wantsCredit: () => boolean
  /** True once the worker is unusable: the loop stops. */
  dead: () => boolean
}

/** Data per batch above which the worker does not spin: a bulk transfer, not an exchange. */
const SMALL_BYTES = 4096

export class WorkerLoop {
  private scheduled = false
  private lastWork = performance.now()
  /** The last gap between ops was short enough for a spin to catch the next one. */
  private spinPays = false
  private idles = 0
  private bytesSeen = 0

  constructor(private readonly o: WorkerLoopOptions) {}

  /** Run the loop (at start, and when the host thread rings the doorbell). */
  wake(): void {
    this.lastWork = performance.now()
    this.schedule()
  }

  private schedule(): void {
    if (this.scheduled) return
    this.scheduled = true
    setImmediate(this.tick)
  }

  private readonly tick = (): void => {
    this.scheduled = false
    const { ctrl, inbound } = this.o
    const sliceEnd = performance.now() + RUNTIME_LIMITS.workerSliceMs
    for (;;) {
      if (this.o.dead()) return
      const bell = Atomics.load(ctrl, RING.workerBell)
      if (this.o.step()) this.lastWork = performance.now()
      if (inbound.pending) continue
      const idleAt = performance.now()
      if (idleAt - this.lastWork >= RUNTIME_LIMITS.workerHotMs) return this.goCold()
      if (idleAt >= sliceEnd) return this.schedule()
      const bytes = this.o.dataBytes()
      const small = bytes - this.bytesSeen <= SMALL_BYTES
      this.bytesSeen = bytes
      if (small && (this.spinPays || (++this.idles & 15) === 0) && this.spin(Math.min(sliceEnd, idleAt + RUNTIME_LIMITS.workerSpinMicros / 1000))) {
        this.gap(idleAt, 1)
        continue
      }
      this.park(WORKER_STATE.WAITING)
      const woke = Atomics.wait(ctrl, RING.workerBell, bell, sliceEnd - idleAt)
      Atomics.store(ctrl, RING.workerState, WORKER_STATE.RUNNING)
      if (woke !== 'timed-out') this.gap(idleAt, 2)
      else this.spinPays = false
    }
  }

  /** Poll the ring until `until` (performance.now() ms); true when an op arrived. */
  private spin(until: number): boolean {
    const { inbound } = this.o
    do {
      if (inbound.pending) return true
    } while (performance.now() < until)
    return false
  }

  /** Say whether credit is awaited and that this worker is about to sleep (`state`), then post what is pending. */
  private park(state: number): void {
    const { ctrl } = this.o
    Atomics.store(ctrl, RING.wantCredit, this.o.wantsCredit() ? 1 : 0)
    Atomics.store(ctrl, RING.workerState, state)
    this.o.flush()
  }

  /** The next op came `now - idleAt` after the worker went idle; after a sleep that includes the wake-up, hence `slack`. */
  private gap(idleAt: number, slack: number): void {
    this.spinPays = (performance.now() - idleAt) * 1000 < slack * RUNTIME_LIMITS.workerSpinMicros
  }

  private goCold(): void {
    const { ctrl, inbound } = this.o
    this.spinPays = false
    this.park(WORKER_STATE.COLD)
    // an op that came before the state was visible rang no doorbell: take it ourselves
    if (inbound.pending && Atomics.compareExchange(ctrl, RING.workerState, WORKER_STATE.COLD, WORKER_STATE.RUNNING) === WORKER_STATE.COLD) this.wake()
  }
}
