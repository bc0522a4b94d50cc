/**
 * The time of the current event-loop turn, for the closed loop's per-message timestamps
 * (echo.ts): `performance.now()` read once per turn of the event loop, and the same value
 * for every completion handled in that turn.
 *
 * Deno resolves every op that finished during one poll at once, and only then runs their
 * continuations. With 50 connections and a fast server, one turn of a bench Worker
 * handles about 44 echoes, and each continuation sends its next message, so the turn
 * lasts a few hundred microseconds. Reading the clock in each continuation (about 0.1 µs
 * each, and a tenth of a per-message budget of about 9 µs once its cache misses count)
 * would stamp the k-th echo late by the work of the k-1 before it: the reply was already
 * in its buffer when the turn began. The turn's time stamps the reply at the earliest
 * moment JavaScript can see it; the next message's start, stamped with the same time,
 * is then early by the same queueing the per-continuation read put at the end. A
 * message's latency still spans one turn to the next, as before; only the side that
 * carries the client's own queueing moves.
 *
 * The cached time is dropped by a microtask queued behind the turn's continuations
 * (they are all queued before the first runs), so no value outlives its turn.
 */

let cachedMs = 0;
let valid = false;

function invalidate() {
  valid = false;
}

/** `performance.now()` as of the first call in the current event-loop turn. */
export function loopNow(): number {
  if (valid) return cachedMs;
  cachedMs = performance.now();
  valid = true;
  queueMicrotask(invalidate);
  return cachedMs;
}
