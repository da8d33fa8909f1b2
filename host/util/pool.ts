/**
 * Run `fn` over `items`, at most `limit` at a time (a walk per item: thousands at once crowd a
 * DHT node's request window). Resolves when all are done; `fn` handles its own failures.
 */
export async function inPool<T>(items: readonly T[], limit: number, fn: (item: T) => Promise<unknown>): Promise<void> {
  let next = 0
  const worker = async (): Promise<void> => {
    while (next < items.length) await fn(items[next++])
  }
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker))
}
