// The pieces the closed loop's per-message path leans on: the Worker's receive arena
// (disjoint, word-aligned slices) and the event-loop turn's time (one clock read per
// turn, never carried into the next).
import { assert, assertEquals, assertThrows } from "@std/assert";
import { ReceiveArena, receiveBytes } from "../lib/bench/arena.ts";
import { loopNow } from "../lib/bench/loop_time.ts";
import { CHUNK } from "../lib/bench/pattern.ts";

Deno.test("receive arena: disjoint slices on 8-byte boundaries, then a clear refusal", () => {
  const arena = new ReceiveArena(3, 1001);
  const slices = [arena.take(), arena.take(), arena.take()];
  assertEquals(slices[0], 0);
  for (let i = 1; i < slices.length; i++) {
    assertEquals(slices[i] % 8, 0);
    // Each slice holds its bytes plus 3, for a read that starts at any word alignment.
    assert(slices[i] - slices[i - 1] >= 1001 + 3, `slice ${i} overlaps the one before`);
  }
  assert(slices[2] + 1001 + 3 <= arena.bytes.length);
  assertEquals(arena.words.length * 4, arena.bytes.length);
  assertThrows(() => arena.take(), RangeError, "every slice is taken");
});

Deno.test("receive arena: the word view sees the bytes written through the byte view", () => {
  const arena = new ReceiveArena(2, 64);
  const at = arena.take() + arena.take();
  arena.bytes.set([1, 2, 3, 4], at);
  assertEquals(arena.words[at / 4], new Uint32Array(new Uint8Array([1, 2, 3, 4]).buffer)[0]);
});

Deno.test("receiveBytes: the messages in flight, at least 16 KiB, at most CHUNK", () => {
  assertEquals(receiveBytes(64, 1), 16 * 1024);
  assertEquals(receiveBytes(40_000, 2), 80_000);
  assertEquals(receiveBytes(1024 * 1024, 4), CHUNK);
});

/** Spins for `ms` milliseconds and returns the time it ended at. */
function spin(ms: number): number {
  const until = performance.now() + ms;
  while (performance.now() < until) { /* busy */ }
  return until;
}

Deno.test("loopNow: one reading per event-loop turn, a fresh one in the next", async () => {
  await new Promise((resolve) => setTimeout(resolve, 1));
  const first = loopNow();
  spin(2);
  assertEquals(loopNow(), first, "a second call in the same turn read the clock again");
  await new Promise((resolve) => setTimeout(resolve, 1));
  const later = loopNow();
  assert(later >= first + 2, `the next turn's time ${later} is not past ${first} + 2 ms`);
});

Deno.test("loopNow: continuations queued together share a reading, later ones do not", async () => {
  await new Promise((resolve) => setTimeout(resolve, 1));
  // Like the completions Deno resolves in one turn: all queued before the first runs.
  const seen = await new Promise<number[]>((resolve) => {
    const times: number[] = [];
    queueMicrotask(() => {
      times.push(loopNow());
      spin(2);
    });
    queueMicrotask(() => times.push(loopNow()));
    queueMicrotask(() => resolve(times));
  });
  assertEquals(seen[0], seen[1]);
  // Queued after the first reading: the reading has been dropped by then.
  await Promise.resolve();
  assert(loopNow() >= seen[0] + 2, "a microtask queued after the reading still saw it");
});
