/** `bench compare` (lib/bench/compare.ts): the values, the change in %, the table and JSON. */

import { assert, assertEquals, assertThrows } from "@std/assert";
import {
  compareResults,
  formatChange,
  type Metric,
  renderComparisonJson,
  renderComparisonText,
} from "../lib/bench/compare.ts";
import { styles } from "../lib/common/format.ts";
import { RuntimeError } from "../lib/common/errors.ts";
import { histogramOf, named } from "./bench_result_helpers.ts";

const BASE = named("base.json", {
  latencies: [...Array(98).fill(100), 1000, 5000],
  messages: 20_000,
  durationMs: 2000,
});
const NEW = named("new.json", {
  latencies: [...Array(98).fill(80), 500, 2500],
  messages: 30_000,
  durationMs: 2000,
  errors: { reset: 3 },
  label: "patched",
  spec: { connections: 50 },
});

Deno.test("compare: values from each result, change in % of BASE", () => {
  const { metrics } = compareResults(BASE, NEW);
  const byKey = Object.fromEntries(metrics.map((m) => [m.key, m]));
  assertEquals(metrics.map((m) => m.key), [
    "msgs_per_sec",
    "bytes_per_sec",
    "latency_p50_us",
    "latency_p90_us",
    "latency_p99_us",
    "latency_p999_us",
    "latency_max_us",
    "errors",
    "mismatches",
  ]);
  assertEquals([byKey.msgs_per_sec.base, byKey.msgs_per_sec.next], [10_000, 15_000]);
  assertEquals(byKey.msgs_per_sec.changePct, 50);
  assertEquals(byKey.bytes_per_sec.changePct, 50);
  const p50 = [
    histogramOf(BASE_LATENCIES).percentile(50),
    histogramOf(NEW_LATENCIES).percentile(50),
  ];
  assertEquals([byKey.latency_p50_us.base, byKey.latency_p50_us.next], p50);
  assertEquals(byKey.latency_p50_us.changePct, -20);
  assertEquals(byKey.latency_p99_us.base, histogramOf(BASE_LATENCIES).percentile(99));
  assertEquals(byKey.latency_max_us.next, histogramOf([2500]).percentile(100));
  // BASE had no errors: no percentage, the difference instead.
  assertEquals([byKey.errors.base, byKey.errors.next, byKey.errors.changePct], [0, 3, null]);
  assertEquals(formatChange(byKey.errors), "+3");
  assertEquals(formatChange(byKey.mismatches), "0.0%");
});

const BASE_LATENCIES = [...Array(98).fill(100), 1000, 5000];
const NEW_LATENCIES = [...Array(98).fill(80), 500, 2500];

Deno.test("compare: the text table", () => {
  const text = renderComparisonText(compareResults(BASE, NEW));
  assertEquals(
    text,
    [
      "tcpkit bench compare",
      "  base base.json          echo, 10 connections, 64 B messages, closed loop, pipeline 1, 127.0.0.1:7000",
      "  new  new.json (patched) echo, 50 connections, 64 B messages, closed loop, pipeline 1, 127.0.0.1:7000",
      "",
      "                base        new   change",
      "  msgs/s         10k        15k   +50.0%",
      "  bytes/s 1.22 MiB/s 1.83 MiB/s   +50.0%",
      "  p50         100 µs      80 µs   -20.0%",
      "  p90         100 µs      80 µs   -20.0%",
      "  p99           1 ms     500 µs   -50.0%",
      "  p99.9         5 ms     2.5 ms   -50.0%",
      "  max           5 ms     2.5 ms   -50.0%",
      "  errors           0          3       +3",
      "",
    ].join("\n"),
  );
});

Deno.test("compare: colour says better (green) or worse (red), by the metric's direction", () => {
  const marked = styles(false);
  const style = { ...marked, green: (t: string) => `+[${t}]`, red: (t: string) => `-[${t}]` };
  const text = renderComparisonText(compareResults(BASE, NEW), style);
  assert(text.includes("+[+50.0%]"), text); // more msgs/s: better
  assert(text.includes("+[-20.0%]"), text); // lower p50: better
  assert(text.includes("-[+3]"), text); // more errors: worse
});

Deno.test("compare: rows with no value, and results of different modes", () => {
  const stream = (file: string) => named(file, { latencies: [], spec: { mode: "stream" } });
  const text = renderComparisonText(compareResults(stream("a.json"), stream("b.json")));
  assert(text.includes("  writes/s"), text);
  assert(!text.includes("p50"), text);
  const json = JSON.parse(renderComparisonJson(compareResults(stream("a.json"), stream("b.json"))));
  assertEquals(json.metrics.latency_p50_us, { base: null, new: null, change_pct: null });
  assertThrows(
    () => compareResults(named("a.json"), stream("b.json")),
    RuntimeError,
    'cannot compare "b.json" (--mode stream) with "a.json" (--mode echo)',
  );
});

Deno.test("compare: --json document", () => {
  const json = JSON.parse(renderComparisonJson(compareResults(BASE, NEW)));
  assertEquals(Object.keys(json), ["base", "new", "metrics"]);
  assertEquals(json.base.file, "base.json");
  assertEquals(json.base.label, null);
  assertEquals(json.new.label, "patched");
  assertEquals(json.new.spec.connections, 50);
  assertEquals(json.metrics.msgs_per_sec, { base: 10_000, new: 15_000, change_pct: 50 });
  assertEquals(json.metrics.errors, { base: 0, new: 3, change_pct: null });
  assertEquals(json.metrics.latency_p50_us.change_pct, -20);
});

Deno.test("compare: change formatting", () => {
  const metric = (base: number | null, next: number | null): Metric => ({
    key: "latency_p50_us",
    label: "p50",
    base,
    next,
    changePct: base && next !== null ? ((next - base) / base) * 100 : null,
    better: "lower",
    kind: "latency",
  });
  const table: [number | null, number | null, string][] = [
    [100, 112.345, "+12.3%"],
    [100, 95.96, "-4.0%"],
    [100, 100, "0.0%"],
    [100, 100.04, "0.0%"],
    [100, 99.96, "0.0%"],
    [3, 6, "+100.0%"],
    [null, 5, "-"],
    [5, null, "-"],
  ];
  for (const [base, next, text] of table) {
    assertEquals(formatChange(metric(base, next)), text, `${base} -> ${next}`);
  }
});
