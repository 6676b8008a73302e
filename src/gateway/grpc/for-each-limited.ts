// Runs `fn` over the items with at most `limit` calls in flight: a gateway's sandboxes are fetched
// concurrently, but never as one burst of hundreds of calls.
export async function forEachLimited<T>(items: readonly T[], limit: number, fn: (item: T) => Promise<unknown>): Promise<void> {
  let next = 0;
  const worker = async () => {
    while (next < items.length) await fn(items[next++]);
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
}
