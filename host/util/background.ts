/**
 * Background work in the spirit of Holepunch's safety-catch: a promise nobody awaits gets a
 * handler that absorbs the expected failures (network, remote input, closing) and lets
 * programmer errors surface, thrown on a later tick where they crash loudly instead of vanishing.
 */

const PROGRAMMER_ERRORS = [TypeError, ReferenceError, RangeError, SyntaxError]

/** True for errors that mean a bug here, not a failure out there. */
export function isProgrammerError(err: unknown): boolean {
  return PROGRAMMER_ERRORS.some((E) => err instanceof E)
}

/** Run `p` in the background: expected errors go to `onError` (if given), programmer errors are rethrown. */
export function background(p: Promise<unknown>, onError?: (err: unknown) => void): void {
  p.catch((err) => {
    if (isProgrammerError(err)) {
      queueMicrotask(() => {
        throw err
      })
      return
    }
    onError?.(err)
  })
}
