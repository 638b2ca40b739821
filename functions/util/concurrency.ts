/** A limit of calls in flight, and who hears how many have finished after each (a progress display). */
export interface Concurrency {
  limit: number;
  onDone?: (done: number) => void;
}

/**
 * Maps `items` through `fn` with at most `limit` calls in flight, keeping the input order.
 * Bounded concurrency keeps us inside ECS's per-account rate limits (the SDK's adaptive retry
 * handles the rest); a rejection of `fn` rejects the whole map, so callers that want
 * per-item outcomes catch inside `fn`.
 */
export async function mapWithConcurrency<T, R>(
  items: readonly T[],
  concurrency: number | Concurrency,
  fn: (item: T, index: number) => Promise<R>,
): Promise<R[]> {
  const { limit, onDone } = typeof concurrency === 'number' ? { limit: concurrency, onDone: undefined } : concurrency;
  const results = new Array<R>(items.length);
  let next = 0;
  let done = 0;
  const worker = async () => {
    while (next < items.length) {
      const index = next++;
      results[index] = await fn(items[index], index);
      onDone?.(++done);
    }
  };
  const workers = Number.isFinite(limit) ? Math.max(1, Math.floor(limit)) : 1;
  await Promise.all(Array.from({ length: Math.min(workers, items.length) }, worker));
  return results;
}

/** Splits `items` into consecutive chunks of at most `size`. */
export function chunk<T>(items: readonly T[], size: number): T[][] {
  if (!Number.isInteger(size) || size < 1) throw new RangeError(`chunk size must be a positive integer, got ${size}`);
  const chunks: T[][] = [];
  for (let i = 0; i < items.length; i += size) chunks.push(items.slice(i, i + size));
  return chunks;
}
