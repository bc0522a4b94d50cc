/**
 * The retry schedule for `connect --wait` (pure, no I/O): exponential backoff with a
 * cap, never sleeping past the deadline, so a port that opens late is found quickly
 * and a port that never opens costs few attempts.
 */

/** Options for {@linkcode backoffDelayMs}. */
export interface BackoffOptions {
  /** First pause. @default 50 */
  initialMs?: number;
  /** Growth per attempt. @default 2 */
  factor?: number;
  /** Longest pause. @default 1000 */
  maxMs?: number;
}

/**
 * The pause before retry number `attempt` (1 for the first retry), clipped so it
 * ends no later than `remainingMs` from now. Returns 0 when no time remains.
 */
export function backoffDelayMs(
  attempt: number,
  remainingMs: number,
  options: BackoffOptions = {},
): number {
  const initialMs = options.initialMs ?? 50;
  const factor = options.factor ?? 2;
  const maxMs = options.maxMs ?? 1000;
  if (remainingMs <= 0) return 0;
  const delay = Math.min(initialMs * factor ** Math.max(0, attempt - 1), maxMs);
  return Math.min(delay, remainingMs);
}
