/**
 * `bench merge` (lib/bench/merge.ts) and the saved-result format it reads and writes
 * (lib/bench/result.ts): the merge arithmetic, the rules that refuse a merge, and the
 * checks that turn a file that is not a bench result into one clear error.
 */

import { assert, assertEquals, assertThrows } from "@std/assert";
import { mergeResults } from "../lib/bench/merge.ts";
import {
  latencyHistogram,
  parseSavedResult,
  renderSavedResult,
  type SavedResult,
} from "../lib/bench/result.ts";
import { LatencyHistogram } from "../lib/bench/stats.ts";
import { RuntimeError } from "../lib/common/errors.ts";
import { fakeResult, histogramOf, latencySample, named } from "./bench_result_helpers.ts";

Deno.test("merge: counts add, and every percentile is the one of all values together", () => {
  const a = latencySample(5000, 80, 1);
  const b = latencySample(3000, 400, 2);
  const { merged, warnings } = mergeResults([
    named("a.json", {
      latencies: a,
      connectLatencies: [900, 1100],
      errors: { reset: 2 },
      errorSamples: ["connection 3: reset by peer"],
      mismatches: 1,
    }),
    named("b.json", {
      latencies: b,
      connectLatencies: [3000],
      errors: { reset: 1, stall: 4 },
      spec: { connections: 30, workers: 2 },
    }),
  ]);
  assertEquals(warnings, []);
  const r = merged.result;
  assertEquals(r.messages, 8000);
  assertEquals(r.bytes_sent, 8000 * 64);
  assertEquals(r.bytes_received, 8000 * 64);
  assertEquals(r.connections, 40);
  assertEquals(r.errors, 7);
  assertEquals(r.error_kinds, { connect: 0, closed: 0, reset: 3, stall: 4, other: 0 });
  assertEquals(r.error_samples, ["a.json: connection 3: reset by peer"]);
  assertEquals(r.mismatches, 1);

  const both = histogramOf([...a, ...b]);
  const mergedHistogram = latencyHistogram(merged);
  assertEquals(mergedHistogram.count, 8000);
  for (const p of [50, 90, 99, 99.9, 100]) {
    assertEquals(mergedHistogram.percentile(p), both.percentile(p), `p${p}`);
  }
  // As bench itself reports a histogram: decoded from its encoding, which keeps each
  // value's bucket (the max is its bucket's highest value, as in every bench result).
  const summary = LatencyHistogram.decode(both.encode()).summary()!;
  assertEquals(r.latency_us, {
    min: summary.min,
    p50: summary.p50,
    p90: summary.p90,
    p99: summary.p99,
    p999: summary.p999,
    max: summary.max,
    mean: summary.mean,
  });
  // The merged p50 lies between the inputs' own: neither input's alone.
  assert(r.latency_us!.p50 > histogramOf(a).percentile(50));
  assert(r.latency_us!.p50 < histogramOf(b).percentile(50));
  assertEquals(r.connect_latency_us!.max, histogramOf([3000]).percentile(100));
  assertEquals(histogramOf([900, 1100, 3000]).summary()!.p50, r.connect_latency_us!.p50);
});

Deno.test("merge: rates add over the common window; the spec adds the load", () => {
  const { merged, warnings } = mergeResults([
    named("a.json", { latencies: [100], messages: 10_000, durationMs: 10_000 }),
    named("b.json", {
      latencies: [100],
      messages: 30_000,
      durationMs: 10_020,
      spec: { target: "10.0.0.5:7000", connections: 20, workers: 3, warmup_ms: 2000 },
    }),
    named("c.json", { latencies: [100], messages: 5_000, durationMs: 9_990 }),
  ]);
  assertEquals(warnings, []); // windows within 5% of each other
  const r = merged.result;
  assertEquals(r.duration_ms, 9_990);
  const rate = 10_000 / 10 + 30_000 / 10.02 + 5_000 / 9.99;
  assertEquals(r.msgs_per_sec, Math.round(rate * 1000) / 1000);
  const bytes = (10_000 / 10 + 30_000 / 10.02 + 5_000 / 9.99) * 128;
  assert(Math.abs(r.bytes_per_sec - bytes) < 0.01, `${r.bytes_per_sec} vs ${bytes}`);
  assert(Math.abs(r.sent_bytes_per_sec - bytes / 2) < 0.01);
  assertEquals(merged.spec, {
    target: "127.0.0.1:7000, 10.0.0.5:7000",
    embedded_server: false,
    mode: "echo",
    connections: 40,
    size_bytes: 64,
    duration_ms: 9_990,
    count: null,
    pipeline: 1,
    warmup_ms: 2000,
    rate_msgs_per_sec: null,
    workers: 5,
    timeout_ms: 10_000,
  });
  assertEquals(merged.merged_from, [
    {
      file: "a.json",
      target: "127.0.0.1:7000",
      connections: 10,
      duration_ms: 10_000,
      messages: 10_000,
    },
    {
      file: "b.json",
      target: "10.0.0.5:7000",
      connections: 20,
      duration_ms: 10_020,
      messages: 30_000,
    },
    {
      file: "c.json",
      target: "127.0.0.1:7000",
      connections: 10,
      duration_ms: 9_990,
      messages: 5_000,
    },
  ]);
});

Deno.test("merge: windows of different lengths are merged with a warning", () => {
  const { merged, warnings } = mergeResults([
    named("long.json", { messages: 1000, durationMs: 10_000 }),
    named("short.json", { messages: 1000, durationMs: 5_000 }),
  ]);
  assertEquals(merged.result.duration_ms, 5_000);
  assertEquals(merged.result.msgs_per_sec, 100 + 200);
  assertEquals(warnings, [
    'measuring windows differ: 10 s in "long.json", 5 s in "short.json"; rates add over the ' +
    "shortest, counts over each whole run",
  ]);
});

Deno.test("merge: open loop rates and counts add", () => {
  const open = (rate: number) => ({ spec: { rate_msgs_per_sec: rate } });
  assertEquals(
    mergeResults([named("a", open(1000)), named("b", open(3000))]).merged.spec.rate_msgs_per_sec,
    4000,
  );
  const counted = (count: number) => ({ spec: { count, duration_ms: null } });
  const spec = mergeResults([named("a", counted(100)), named("b", counted(50))]).merged.spec;
  assertEquals([spec.count, spec.duration_ms], [150, null]);
});

Deno.test("merge: the output is a bench result again: merging is associative", () => {
  const runs = [1, 2, 3].map((seed) =>
    named(`${seed}.json`, {
      latencies: latencySample(500 * seed, 50 * seed, seed),
      messages: 500 * seed,
      errors: { closed: seed },
    })
  );
  const all = mergeResults(runs).merged;
  const ab = mergeResults(runs.slice(0, 2)).merged;
  const reread = parseSavedResult(renderSavedResult(ab), "ab.json");
  const nested = mergeResults([{ file: "ab.json", saved: reread }, runs[2]]).merged;
  assertEquals(nested.result, all.result);
  assertEquals(nested.spec, all.spec);
  assertEquals(nested.merged_from![0].file, "ab.json");
  assertEquals(nested.merged_from![0].merged_from!.map((m) => m.file), ["1.json", "2.json"]);
});

Deno.test("merge: one result comes back as itself, with merged_from", () => {
  const one = named("a.json", { latencies: latencySample(100, 70, 9), label: "solo" });
  const { merged } = mergeResults([one]);
  assertEquals(merged.result, one.saved.result);
  assertEquals(merged.label, undefined);
  assertEquals(merged.merged_from, [{
    file: "a.json",
    label: "solo",
    target: "127.0.0.1:7000",
    connections: 10,
    duration_ms: 1000,
    messages: 100,
  }]);
});

Deno.test("merge: results that measured different things are refused", () => {
  const table: [Partial<SavedResult["spec"]>, string][] = [
    [{ mode: "stream" }, '"b.json" (--mode stream) with "a.json" (--mode echo)'],
    [{ size_bytes: 16384 }, '"b.json" (16 KiB messages) with "a.json" (64 B messages)'],
    [{ pipeline: 8 }, "(--pipeline 8) with"],
    [{ rate_msgs_per_sec: 1000 }, "(open loop (--rate)) with"],
  ];
  for (const [spec, message] of table) {
    assertThrows(
      () => mergeResults([named("a.json"), named("b.json", { spec })]),
      RuntimeError,
      message,
    );
  }
});

Deno.test("saved results: render and parse round-trip, unknown keys ignored", () => {
  const saved = fakeResult({ latencies: latencySample(50, 90, 3), label: "mine" });
  const text = renderSavedResult(saved);
  assertEquals(Object.keys(JSON.parse(text)), ["label", "spec", "result"]);
  assertEquals(parseSavedResult(text, "x.json"), saved);
  const extra = JSON.parse(text);
  extra.result.cpu_share = 0.5;
  extra.future = true;
  assertEquals(parseSavedResult(JSON.stringify(extra), "x.json"), saved);
});

Deno.test("saved results: a file that is not one is a one-line error naming the key", () => {
  const good = JSON.parse(renderSavedResult(fakeResult()));
  const edit = (change: (doc: Record<string, Record<string, unknown>>) => void) => {
    const doc = structuredClone(good);
    change(doc);
    return JSON.stringify(doc);
  };
  const table: [string, string][] = [
    ["", "not JSON"],
    ["{", "not JSON"],
    ["[1, 2]", "the document is not an object"],
    ["null", "the document is not an object"],
    ['{"spec": {}}', '"result" is missing'],
    [edit((d) => delete d.spec.mode), '"spec.mode" is missing'],
    [edit((d) => d.spec.mode = "ping"), '"spec.mode" is "ping", not one of echo, stream, connect'],
    [edit((d) => d.result.messages = "12"), '"result.messages" is not a number'],
    [edit((d) => d.result.messages = -1), '"result.messages" is not a number'],
    [edit((d) => d.result.messages = null), '"result.messages" is not a number'],
    [edit((d) => d.spec.embedded_server = "no"), '"spec.embedded_server" is not true or false'],
    [edit((d) => d.result.error_kinds = { reset: "x" }), '"result.error_kinds.reset" is not'],
    [edit((d) => d.result.error_samples = [1]), '"result.error_samples" is not a list'],
    [edit((d) => d.result.latency_us = { p50: 1 }), '"result.latency_us.min" is missing'],
    [
      edit((d) => d.result.latency_histogram_us = "HISTFnope"),
      '"result.latency_histogram_us" is not an HdrHistogram',
    ],
    [edit((d) => delete d.result.connect_latency_histogram_us), "connect_latency_histogram_us"],
    [edit((d) => (d as Record<string, unknown>).label = 5), '"label" is not a string'],
  ];
  for (const [text, message] of table) {
    const error = assertThrows(() => parseSavedResult(text, "x.json"), RuntimeError, message);
    assert(error.message.startsWith('"x.json" is not a tcpkit bench result: '), error.message);
    assert(!error.message.includes("\n"), error.message);
  }
  // Nullable keys may be null.
  const nulls = edit((d) => {
    d.spec.duration_ms = null;
    d.result.latency_us = null;
  });
  assertEquals(parseSavedResult(nulls, "x.json").result.latency_us, null);
});

Deno.test("merge: client CPU times and cores add; saturated when any client was", () => {
  const cpu = (user_ms: number, system_ms: number, wall_ms: number, cores: number) => ({
    user_ms,
    system_ms,
    wall_ms,
    cores,
    busy_percent: ((user_ms + system_ms) / (wall_ms * cores)) * 100,
    saturated: (user_ms + system_ms) / (wall_ms * cores) >= 0.9,
  });
  const withCpu = (file: string, c: ReturnType<typeof cpu> | null | undefined) => {
    const input = named(file);
    if (c !== undefined) input.saved.result.client_cpu = c;
    return input;
  };
  const { merged } = mergeResults([
    withCpu("a.json", cpu(900, 60, 1000, 1)), // 96%: saturated
    withCpu("b.json", cpu(500, 100, 1000, 2)), // 30%
  ]);
  assertEquals(merged.result.client_cpu, {
    user_ms: 1400,
    system_ms: 160,
    wall_ms: 1000,
    cores: 3,
    busy_percent: 52,
    saturated: true,
  });
  // The merged file parses again with its CPU summary.
  const again = parseSavedResult(renderSavedResult(merged), "m.json");
  assertEquals(again.result.client_cpu, merged.result.client_cpu);
  // Unknown for one input: unknown for the merge; absent everywhere: absent.
  const partial = mergeResults([withCpu("a.json", cpu(1, 1, 10, 1)), withCpu("b.json", null)]);
  assertEquals(partial.merged.result.client_cpu, null);
  const none = mergeResults([withCpu("a.json", undefined), withCpu("b.json", undefined)]);
  assertEquals("client_cpu" in none.merged.result, false);
});
