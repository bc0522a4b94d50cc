/**
 * Waiting, done once: a plain sleep, a bounded wait for a promise that never leaves a
 * timer or listener behind, and a deadline for an operation that takes no AbortSignal.
 */

/** Resolves after `ms` milliseconds. */
export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/**
 * Waits until `promise` settles (either way), `ms` pass, or `signal` aborts, whichever
 * comes first; never rejects. Resolves true when the promise settled first. The timer
 * and the abort listener are gone once it resolves. `ms` of Infinity sets no timer.
 */
export function waitSettled(
  promise: Promise<unknown>,
  ms = Infinity,
  signal?: AbortSignal,
): Promise<boolean> {
  if (signal?.aborted) return Promise.resolve(false);
  return new Promise((resolve) => {
    let timer: ReturnType<typeof setTimeout> | undefined;
    const finish = (settled: boolean) => {
      clearTimeout(timer);
      signal?.removeEventListener("abort", onAbort);
      resolve(settled);
    };
    const onAbort = () => finish(false);
    if (ms !== Infinity) timer = setTimeout(() => finish(false), ms);
    signal?.addEventListener("abort", onAbort, { once: true });
    promise.then(() => finish(true), () => finish(true));
  });
}

/**
 * Settles like `pending`, or rejects with `signal.reason` once `signal` aborts (for
 * operations that take no signal, such as a unix-socket `Deno.connect`). A result
 * that arrives after the abort is handed to `discard` (e.g. to close a late conn).
 */
export async function abortable<T>(
  pending: Promise<T>,
  signal: AbortSignal,
  discard: (late: T) => void,
): Promise<T> {
  if (signal.aborted) {
    pending.then(discard, () => {});
    throw signal.reason;
  }
  let onAbort = () => {};
  const aborted = new Promise<never>((_, reject) => {
    onAbort = () => reject(signal.reason);
    signal.addEventListener("abort", onAbort, { once: true });
  });
  try {
    return await Promise.race([pending, aborted]);
  } catch (error) {
    if (signal.aborted) pending.then(discard, () => {});
    throw error;
  } finally {
    signal.removeEventListener("abort", onAbort);
  }
}
