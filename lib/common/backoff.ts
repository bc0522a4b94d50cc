/**
 * The retry schedule for `connect --wait` (pure, no I/O): exponential backoff with a
 * cap, never sleeping past the deadline, so a port that opens late is found quickly
 * and a port that never opens costs few attempts.
 */

/** First pause. */
const INITIAL_MS = 50;
/** Growth per attempt. */
const FACTOR = 2;
/** Longest pause. */
const MAX_MS = 1000;

/**
 * The pause before retry number `attempt` (1 for the first retry), clipped so it
 * ends no later than `remainingMs` from now. Returns 0 when no time remains.
 */
export function backoffDelayMs(attempt: number, remainingMs: number): number {
  if (remainingMs <= 0) return 0;
  const delay = Math.min(INITIAL_MS * FACTOR ** Math.max(0, attempt - 1), MAX_MS);
  return Math.min(delay, remainingMs);
}
