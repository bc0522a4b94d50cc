/**
 * The intervals of a bench run (lib/bench/progress.ts) with fake Workers that answer at
 * once: cuts end intervals at the phases, lines carry the phase they belong to, quiet
 * prints nothing, and the CPU time comes back summed; and the open-file budget.
 */

import { assertEquals } from "@std/assert";
import type { IntervalReport } from "../lib/bench/client.ts";
import { type IntervalSource, Progress } from "../lib/bench/progress.ts";
import { LatencyHistogram } from "../lib/bench/stats.ts";
import { benchOpenFiles, FD_HEADROOM, FD_PER_THREAD } from "../lib/common/fd_limit.ts";

/** A Worker that has completed `messages` per interval and used `cpuUs` so far per tick. */
function fakeWorker(messages: number, cpuUsPerTick: number): IntervalSource {
  let ticks = 0;
  const latency = new LatencyHistogram();
  latency.record(100);
  const source: IntervalSource = {
    onInterval: () => {},
    post(message) {
      ticks++;
      const interval: IntervalReport = {
        messages,
        latency: latency.encode(),
        cpu: { userUs: ticks * cpuUsPerTick, systemUs: 0 },
      };
      source.onInterval({ seq: message.seq, interval });
    },
  };
  return source;
}

function progress(quiet: boolean) {
  const lines: string[] = [];
  const sources = [fakeWorker(100, 100_000), fakeWorker(50, 50_000)];
  const p = new Progress(sources, {
    intervalMs: 1_000_000, // no periodic line during the test: only cuts
    quiet,
    mode: "echo",
    sizeBytes: 64,
    cores: 2,
    print: (line) => lines.push(line),
  });
  return { p, lines };
}

Deno.test("Progress: a cut ends the warmup's interval; later ones are not warmup", async () => {
  const { p, lines } = progress(false);
  const t0 = performance.timeOrigin + performance.now();
  p.start(t0, true, { userUs: 0, systemUs: 0 });
  assertEquals(await p.cut(t0 + 500), { userUs: 150_000, systemUs: 0 });
  assertEquals(await p.cut(t0 + 1000), { userUs: 300_000, systemUs: 0 });
  p.stop();
  assertEquals(lines, [
    "[500 ms]  msgs/s   300  sent 18.8 KiB/s  received 18.8 KiB/s  p99  100 µs  cpu  15.0%  (warmup)",
    "[   1 s]  msgs/s   300  sent 18.8 KiB/s  received 18.8 KiB/s  p99  100 µs  cpu  15.0%",
  ]);
});

Deno.test("Progress: quiet prints nothing but still sums the CPU time", async () => {
  const { p, lines } = progress(true);
  const t0 = performance.timeOrigin + performance.now();
  p.start(t0, false, { userUs: 0, systemUs: 0 });
  assertEquals(await p.cut(t0 + 200), { userUs: 150_000, systemUs: 0 });
  p.stop();
  assertEquals(lines, []);
});

Deno.test("benchOpenFiles: both ends with the embedded server, one otherwise", () => {
  assertEquals(benchOpenFiles(1000, true, 3), 2000 + 3 * FD_PER_THREAD + FD_HEADROOM);
  assertEquals(benchOpenFiles(1000, false, 2), 1000 + 2 * FD_PER_THREAD + FD_HEADROOM);
});
