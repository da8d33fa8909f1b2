/** Timers: callbacks the host fires through `hn_on_timer`. Needs `permissions.timers`. */
import { EINVAL, hn_timer_clear, hn_timer_set } from "./raw"
import { setLastError } from "./errors"

/** A timer callback; it receives the timer's id. AssemblyScript closures cannot capture locals: keep state in globals. */
export type TimerCallback = (id: i32) => void

class Timer {
  constructor(public fn: TimerCallback, public repeat: bool) {}
}

const active = new Map<i32, Timer>()

function set(ms: i32, repeat: bool, fn: TimerCallback): i32 {
  const id = hn_timer_set(ms, repeat ? 1 : 0)
  if (id <= 0) {
    const code = id == 0 ? EINVAL : id
    setLastError(code)
    return code
  }
  active.set(id, new Timer(fn, repeat))
  return id
}

export namespace timers {
  /** Call `fn` once after `ms` (>= 1) milliseconds. Returns the timer id (> 0), or EDENIED, EINVAL, ELIMIT. */
  export function after(ms: i32, fn: TimerCallback): i32 {
    return set(ms, false, fn)
  }

  /** Call `fn` every `ms` (>= 1) milliseconds until cleared. Returns as `after`. */
  export function every(ms: i32, fn: TimerCallback): i32 {
    return set(ms, true, fn)
  }

  /** Stop a timer. Returns 0, or EINVAL when there is no such timer. */
  export function clear(id: i32): i32 {
    if (!active.has(id)) return EINVAL
    active.delete(id)
    return hn_timer_clear(id)
  }
}

/** @internal `hn_on_timer`. */
export function dispatchTimer(id: i32): i32 {
  // A timer cleared while its firing was already on its way lands here: ignore it.
  if (!active.has(id)) return 0
  const timer = active.get(id)
  if (!timer.repeat) active.delete(id)
  timer.fn(id)
  return 0
}
