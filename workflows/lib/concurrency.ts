/**
 * Runs `fn` over `items` with at most `limit` in flight, results in input order. Deterministic in
 * a workflow (it only awaits the promises it is given): fleet-wide jobs use it so 50 clusters do
 * not put 50 concurrent batches on one account's API rate limits.
 */
export async function mapLimit<T, R>(
  items: readonly T[],
  limit: number,
  fn: (item: T, index: number) => Promise<R>,
): Promise<R[]> {
  const out: R[] = new Array(items.length);
  let next = 0;
  const lane = async () => {
    while (next < items.length) {
      const i = next++;
      out[i] = await fn(items[i]!, i);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, lane));
  return out;
}
