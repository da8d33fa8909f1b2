/** The app's start hook, run by `hn_on_start` once the host can take calls. */

/** Work to do at start: dial, set timers, read storage. */
export type StartCallback = () => void

let started: StartCallback | null = null

/**
 * Run `fn` once when the host starts the app. Top-level code runs earlier, while the
 * module is being instantiated, when host calls are not yet allowed: register handlers
 * there, call the host from here. A trap in `fn` (an `abort`) fails the start.
 */
export function onStart(fn: StartCallback): void {
  started = fn
}

/** @internal `hn_on_start`. */
export function dispatchStart(): i32 {
  const fn = started
  if (fn !== null) fn()
  return 0
}
