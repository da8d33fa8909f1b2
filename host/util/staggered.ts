/**
 * Try `items` in order with `attempt`, starting the next one when the previous fails or has not
 * finished within `staggerMs` (the shape of "happy eyeballs"), and resolve with the first that
 * succeeds. A slow or dead first choice then costs `staggerMs`, not its whole timeout. Attempts
 * still running when one succeeds are left to finish on their own: `attempt` must clean up after
 * itself, and what it does must be harmless to do twice.
 * @throws the last attempt's error when every attempt failed, or what `fatal` says must not wait
 */
export function staggered<T, R>(
  items: readonly T[],
  attempt: (item: T) => Promise<R>,
  staggerMs: number,
  fatal: (err: unknown) => boolean = () => false
): Promise<{ item: T; result: R }> {
  return new Promise((resolve, reject) => {
    if (items.length === 0) return reject(new Error('nothing to try'))
    let next = 0
    let running = 0
    let done = false
    let lastError: unknown = null
    const timers = new Set<NodeJS.Timeout>()
    const finish = () => {
      done = true
      for (const t of timers) clearTimeout(t)
      timers.clear()
    }
    const launch = () => {
      if (done || next >= items.length) return
      const item = items[next++]
      running++
      const timer = setTimeout(() => {
        timers.delete(timer)
        launch()
      }, staggerMs)
      timers.add(timer)
      attempt(item).then(
        (result) => {
          running--
          if (done) return
          finish()
          resolve({ item, result })
        },
        (err: unknown) => {
          running--
          lastError = err
          if (done) return
          if (fatal(err)) {
            finish()
            return reject(err)
          }
          // a failure starts the next at once, rather than after the stagger
          clearTimeout(timer)
          timers.delete(timer)
          if (next < items.length) launch()
          else if (running === 0) {
            finish()
            reject(lastError)
          }
        }
      )
    }
    launch()
  })
}
