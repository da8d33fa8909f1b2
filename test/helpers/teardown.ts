import type { TestContext } from 'node:test'

/**
 * Last-in-first-out cleanup: node:test runs t.after hooks first-registered-first, which would
 * tear a testnet down before the hosts on it. Register cleanups here instead.
 */
export function teardown(t: TestContext): (fn: () => unknown | Promise<unknown>) => void {
  const stack: Array<() => unknown | Promise<unknown>> = []
  t.after(async () => {
    while (stack.length) {
      const fn = stack.pop()!
      try {
        await fn()
      } catch (err) {
        // one failed cleanup must not skip the rest; surface it without masking the test result
        console.error('teardown:', err)
      }
    }
  })
  return (fn) => {
    stack.push(fn)
  }
}
