/**
 * The open loop's schedule (lib/bench/pacer.ts) with a fake clock and fake connections,
 * driven by explicit times; and the clock thread (lib/bench/clock.ts) for real, in a
 * bench Worker, checked for what fires, never for how fast.
 */

import { assert, assertAlmostEquals, assertEquals } from "@std/assert";
import { ClockAlarm, clockBuffer, stopClock } from "../lib/bench/clock.ts";
import { Pacer, QUANTUM_MS } from "../lib/bench/pacer.ts";

/** A clock that records what it is armed with and never fires on its own. */
class FakeAlarm {
  armed: number[] = [];
  stopped = false;
  arm(ms: number) {
    this.armed.push(ms);
  }
  listen(_: (firedMs: number) => void) {
    return Promise.resolve();
  }
  stop() {
    this.stopped = true;
  }
}

/** Connections that record which one was asked to release, and when. */
function fakeConns(n: number, releases: [number, number][]) {
  return Array.from({ length: n }, (_, i) => ({
    release: (now: number) => releases.push([i, now]),
  }));
}

/** A pacer whose schedule starts at `start`, far ahead of the real clock. */
function pacer(n: number, intervalMs: number, phases: number[]) {
  const releases: [number, number][] = [];
  const alarm = new FakeAlarm();
  const p = new Pacer(fakeConns(n, releases), phases, intervalMs, alarm as unknown as ClockAlarm);
  const start = performance.now() + 3_600_000;
  p.start(start);
  return { p, alarm, releases, start };
}

Deno.test("Pacer: walks the connections in order of due time, arms the next one", () => {
  // Two connections, one message each per 10 ms, the second half an interval later.
  const { p, alarm, releases, start } = pacer(2, 10, [0, 0.5]);
  assertEquals(releases, [], "nothing is due before the start");
  p.poll(start + 7);
  // Due: conn 0 at 0, conn 1 at 5; conn 0's next at 10 is not.
  assertEquals(releases, [[0, start + 7], [1, start + 7]]);
  assertEquals(alarm.armed, [start + 10]);
  p.poll(start + 9.9);
  assertEquals(releases.length, 2, "not yet due");
  p.poll(start + 10);
  assertEquals(releases.at(-1), [0, start + 10]);
  assertEquals(alarm.armed.at(-1), start + 15);
  p.poll(start + 15.5);
  assertEquals(releases.at(-1), [1, start + 15.5]);
  assertEquals(alarm.armed.at(-1), start + 20);
  p.stop();
  assert(alarm.stopped);
});

Deno.test("Pacer: sends at most once per quantum", () => {
  // Messages every 0.05 ms in total: the sends are spaced by the quantum instead.
  const { p, alarm, releases, start } = pacer(2, 0.1, [0, 0.5]);
  p.poll(start);
  assertEquals(releases, [[0, start]]);
  assertEquals(alarm.armed, [start + QUANTUM_MS]);
  p.poll(start + QUANTUM_MS / 2);
  assertEquals(releases.length, 1, "the next message is due, but within the quantum");
  p.poll(start + QUANTUM_MS);
  // Everything due by then (0.05, 0.1, 0.15, 0.2) goes at once: each connection is asked.
  assertEquals(new Set(releases.slice(1).map(([i]) => i)), new Set([0, 1]));
  assert(releases.slice(1).every(([, now]) => now === start + QUANTUM_MS));
  assertAlmostEquals(alarm.armed.at(-1)!, start + 2 * QUANTUM_MS, 1e-6);
  p.stop();
});

Deno.test("Pacer: far behind, each connection is asked once and the cursor jumps", () => {
  const { p, releases, start } = pacer(3, 1, [0, 1 / 3, 2 / 3]);
  // Ten seconds late: 30,000 messages due; a connection sends all it owes in one call.
  p.poll(start + 10_000);
  assert(releases.length <= 6, `${releases.length} release calls`);
  assertEquals(new Set(releases.map(([i]) => i)).size, 3);
  const calls = releases.length;
  p.poll(start + 10_000.2);
  assertEquals(releases.length, calls, "the next message is due at 10000.33");
  p.poll(start + 10_000.34);
  assertEquals(releases.at(-1), [1, start + 10_000.34]);
  p.stop();
});

Deno.test("clock thread: fires each armed time once, in order, until stopped", async () => {
  const buffer = clockBuffer(2);
  const worker = new Worker(new URL("../lib/bench/worker.ts", import.meta.url), {
    type: "module",
  });
  worker.postMessage({ type: "clock", buffer });
  const alarm = new ClockAlarm(buffer, 1);
  const fired: number[] = [];
  const targets: number[] = [];
  let done!: () => void;
  const finished = new Promise<void>((resolve) => done = resolve);
  const next = () => {
    if (targets.length === 5) return done();
    const target = performance.now() + 2;
    targets.push(target);
    alarm.arm(target);
  };
  const listening = alarm.listen((firedMs) => {
    fired.push(firedMs);
    next();
  });
  next();
  const guard = setTimeout(done, 10_000); // a lost wake-up fails below instead of hanging
  try {
    await finished;
    assertEquals(fired, targets, "every target fired once, at its own armed time");
  } finally {
    clearTimeout(guard);
    alarm.stop();
    await listening;
    stopClock(buffer);
    worker.terminate();
  }
});
