/**
 * ready() and close() for a long-lived object, in the manner of Holepunch's ready-resource:
 * - ready() opens once: every call gets the same promise;
 * - close() closes once: a second call gets the same promise, so it never resolves while the
 *   first is still closing (the trap of a boolean `closed` flag);
 * - close() waits for an open in flight (whether it succeeds or fails), then closes;
 * - `closed` is true from the first close() call on, so work in flight can stop early; an
 *   object closed before ready() never opens.
 *
 * Use: `private readonly life = new Lifecycle()`, `ready() { return this.life.ready(() => ...) }`,
 * `close() { return this.life.close(() => ...) }`. Children are closed by the close function, in
 * reverse order of creation.
 */
export class Lifecycle {
  private opening: Promise<void> | null = null
  private closing: Promise<void> | null = null

  /** close() was called (it may still be running). */
  get closed(): boolean {
    return this.closing !== null
  }

  /** Open with `open`, once. After close() it resolves without opening. */
  ready(open: () => unknown): Promise<void> {
    if (this.closing && !this.opening) return Promise.resolve()
    this.opening ??= (async () => {
      await open()
    })()
    return this.opening
  }

  /** Close with `close`, once, after any open in flight settled. Rejects only if `close` throws. */
  close(close: () => unknown): Promise<void> {
    this.closing ??= (async () => {
      await this.opening?.catch(() => {})
      await close()
    })()
    return this.closing
  }
}
