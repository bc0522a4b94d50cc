// The run phases as a client Worker sees them: what admit() lets through in each phase
// (and the quota it takes), and which tally a message counts in. No sockets: BenchClient
// opens none until connect().
import { assertEquals, assertNotStrictEquals, assertStrictEquals } from "@std/assert";
import { BenchClient } from "../lib/bench/client.ts";
import {
  type ClientPlan,
  MEASURE,
  STOP,
  UNLIMITED,
  WARMUP,
  WorkerStats,
} from "../lib/bench/strategy.ts";

function plan(phase: SharedArrayBuffer): ClientPlan {
  return {
    mode: "echo",
    address: { transport: "tcp", hostname: "127.0.0.1", port: 9 },
    sizeBytes: 64,
    pipeline: 1,
    timeoutMs: 1000,
    firstConnection: 0,
    connections: 1,
    quotas: [2],
    totalConnections: 1,
    ratePerConnection: undefined,
    clock: undefined,
    clockIndex: 0,
    phase,
  };
}

Deno.test("admit: warmup is free, measuring takes the quota, stop admits nothing", () => {
  const cell = new SharedArrayBuffer(4);
  const phase = new Int32Array(cell);
  const client = new BenchClient(plan(cell));
  const conn = { quota: 2 };

  phase[0] = WARMUP;
  assertEquals([client.admit(conn), client.admit(conn), client.admit(conn)], [1, 1, 1]);
  assertEquals(conn.quota, 2);

  phase[0] = MEASURE;
  assertEquals([client.admit(conn), client.admit(conn), client.admit(conn)], [2, 2, 0]);
  assertEquals(conn.quota, 0);

  const unlimited = { quota: UNLIMITED };
  assertEquals([client.admit(unlimited), client.admit(unlimited)], [2, 2]);
  assertEquals(unlimited.quota, UNLIMITED);

  phase[0] = STOP;
  assertEquals([client.admit(unlimited), client.admit({ quota: 5 })], [0, 0]);
});

Deno.test("WorkerStats: warmup echoes count in a tally that is not the measured one", () => {
  const stats = new WorkerStats();
  assertNotStrictEquals(stats.tally(false), stats.measured);
  assertStrictEquals(stats.tally(true), stats.measured);
  assertEquals(stats.measured.lastCompletionMs, -Infinity);

  stats.echoed(100, false, 1_000);
  stats.echoed(200, true, 2_000);
  stats.echoed(300, true, 3_000);
  stats.echoed(5_000, false, 4_000);

  const interval = stats.takeInterval();
  assertEquals(interval.messages, 4);
  assertEquals(interval.latency.count, 4);
  assertEquals(interval.latency.summary()?.max, 5_000);
  assertEquals(stats.measured.messages, 2);
  assertEquals(stats.measured.latency.count, 2);
  assertEquals(stats.measured.latency.summary()?.max, 300);
  assertEquals(stats.measured.lastCompletionMs, 3_000);
  assertEquals(stats.tally(false).messages, 2);
  assertEquals(stats.tally(false).lastCompletionMs, 4_000);

  // The next interval holds only what came after; the tallies keep everything.
  stats.echoed(400, true, 5_000);
  const next = stats.takeInterval();
  assertEquals([next.messages, next.latency.count, next.latency.summary()?.min], [1, 1, 400]);
  stats.echoed(500, true, 6_000);
  stats.fold();
  assertEquals(stats.measured.messages, 4);
  assertEquals(stats.measured.latency.count, 4);
  assertEquals(stats.measured.latency.summary()?.max, 500);
  assertEquals(stats.takeInterval().messages, 1);
});
