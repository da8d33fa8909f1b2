import { RC } from '../../abi.ts'
import { LIMITS } from '../../constants.ts'

/** hn_timer_set / hn_timer_clear: at most LIMITS.maxTimersPerPlugin, at least 1 ms apart. */
export class WorkerTimers {
  private readonly timers = new Map<number, { handle: NodeJS.Timeout; repeat: boolean }>()
  private next = 1

  constructor(private readonly fire: (id: number) => void) {}

  set(ms: number, repeat: number): number {
    if (ms < 1) return RC.EINVAL
    if (this.timers.size >= LIMITS.maxTimersPerPlugin) return RC.ELIMIT
    const id = this.next++
    const handle = repeat !== 0
      ? setInterval(() => this.fire(id), ms)
      : setTimeout(() => {
          this.timers.delete(id)
          this.fire(id)
        }, ms)
    this.timers.set(id, { handle, repeat: repeat !== 0 })
    return id
  }

  clear(id: number): number {
    const t = this.timers.get(id)
    if (t === undefined) return RC.EINVAL
    if (t.repeat) clearInterval(t.handle)
    else clearTimeout(t.handle)
    this.timers.delete(id)
    return 0
  }

  clearAll(): void {
    for (const id of [...this.timers.keys()]) this.clear(id)
  }
}
