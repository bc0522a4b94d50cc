/**
 * Bounded concurrency: run an async task per item with at most N in flight, so a
 * port range or thousands of connection setups stay polite to the peer and to the
 * open-file limit.
 */

/**
 * Maps `items` through `task` with at most `limit` tasks running at once; resolves to
 * the results in the items' order. On the first failure no new task starts; the ones
 * in flight finish, then the failure is thrown (nothing is left running).
 */
export async function mapBounded<T, R>(
  items: readonly T[],
  limit: number,
  task: (item: T, index: number) => Promise<R>,
): Promise<R[]> {
  const results: R[] = new Array(items.length);
  let next = 0;
  let failure: { error: unknown } | undefined;
  const runner = async () => {
    while (next < items.length && failure === undefined) {
      const index = next++;
      try {
        results[index] = await task(items[index], index);
      } catch (error) {
        failure ??= { error };
      }
    }
  };
  const runners = Math.max(1, Math.min(limit, items.length));
  await Promise.all(Array.from({ length: runners }, runner));
  if (failure !== undefined) throw failure.error;
  return results;
}
