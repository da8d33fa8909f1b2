/**
 * Background work (timers, refreshes, republishing) fails in two ways. Expected failures come
 * from the network (timeouts, peers gone, a destroyed node, a coded HypernetError) and are
 * absorbed: the next round tries again. Programmer errors (TypeError, ReferenceError,
 * SyntaxError, RangeError) are bugs, and must not vanish in a `.catch(() => {})`. In the spirit
 * of Holepunch's safety-catch: `safetyCatch` rethrows them, `backgroundCatch` reports them to the
 * log with their stack where nobody would see a rethrow.
 */

/** What backgroundCatch needs of a logger (log/logger.ts's Logger fits). */
export interface ErrorLog {
  error(msg: string, fields?: Record<string, unknown>): void
}

const PROGRAMMER_ERRORS = [TypeError, ReferenceError, SyntaxError, RangeError]

/** True for an error that means a bug in this code or a library, not a network condition. */
export function isProgrammerError(err: unknown): boolean {
  return PROGRAMMER_ERRORS.some((E) => err instanceof E)
}

/** A catch handler that absorbs expected errors and rethrows programmer errors. */
export function safetyCatch(err: unknown): void {
  if (isProgrammerError(err)) throw err
}

/**
 * A catch handler for a promise nobody awaits: absorbs expected errors, logs programmer errors
 * (with their stack) at error level as a bug in `what`. Never throws.
 */
export function backgroundCatch(log: ErrorLog, what: string): (err: unknown) => void {
  return (err) => {
    if (!isProgrammerError(err)) return
    const e = err as Error
    log.error(`${what}: a programmer error in background work (a bug)`, { error: e.stack ?? e.message })
  }
}
