import { assertEquals } from "@std/assert";
import { encodeIntoCompressedBase64, Float64Histogram } from "hdr-histogram-js";
import {
  DIRECT_US,
  LatencyHistogram,
  MAX_TRACKABLE_US,
  perSecond,
  SIGNIFICANT_DIGITS,
} from "../lib/bench/stats.ts";
import { firstDifference, words } from "../lib/bench/pattern.ts";
import { split } from "../lib/bench/bench.ts";

Deno.test("LatencyHistogram: summary of 1..1000 us", () => {
  const h = new LatencyHistogram();
  for (let us = 1; us <= 1000; us++) h.record(us);
  assertEquals(h.summary(), {
    count: 1000,
    min: 1,
    p50: 500,
    p90: 900,
    p99: 990,
    p999: 999,
    max: 1000,
    mean: 500.5,
  });
});

Deno.test("LatencyHistogram: empty has no summary and no bins", () => {
  const h = new LatencyHistogram();
  assertEquals(h.summary(), undefined);
  assertEquals(h.bins(), []);
  assertEquals(h.percentile(99), 0);
});

Deno.test("LatencyHistogram: rounds, and clamps below 1 and above one hour", () => {
  const h = new LatencyHistogram();
  h.record(0.2);
  h.record(2.6);
  h.record(1e12);
  const s = h.summary()!;
  assertEquals([s.min, s.p50, s.count], [1, 3, 3]);
  assertEquals(s.max > 3_590_000_000, true);
});

Deno.test("LatencyHistogram: merge adds counts", () => {
  const a = new LatencyHistogram();
  const b = new LatencyHistogram();
  a.recordMany(10, 90);
  b.recordMany(1000, 10);
  a.merge(b);
  const s = a.summary()!;
  assertEquals([s.count, s.min, s.p50, s.p90, s.p99, s.max], [100, 10, 10, 10, 1000, 1000]);
});

Deno.test("LatencyHistogram: encode and decode round-trip, then merge", () => {
  const a = new LatencyHistogram();
  for (let us = 50; us < 150; us++) a.record(us);
  const copy = LatencyHistogram.decode(a.encode());
  assertEquals(copy.summary(), a.summary());
  copy.merge(LatencyHistogram.decode(a.encode()));
  assertEquals(copy.count, 200);
  assertEquals(copy.encode().startsWith("HISTF"), true);
});

Deno.test("LatencyHistogram: log-spaced bins cover every value", () => {
  const h = new LatencyHistogram();
  h.recordMany(10, 5);
  h.recordMany(100, 3);
  h.recordMany(1000, 2);
  const bins = h.bins(2);
  assertEquals(bins.map((b) => [b.fromUs, b.toUs, b.count]), [[10, 100, 8], [100, 1000, 2]]);
  assertEquals(h.bins(8).reduce((n, b) => n + b.count, 0), 10);
});

Deno.test("LatencyHistogram: reset empties it", () => {
  const h = new LatencyHistogram();
  h.record(5);
  h.reset();
  assertEquals(h.count, 0);
});

Deno.test("LatencyHistogram: counted values equal an HdrHistogram fed directly", () => {
  // Values below DIRECT_US are counted in a plain array first; reads, resets and merges in
  // between records must see exactly what recording straight into an HdrHistogram gives.
  const h = new LatencyHistogram();
  const plain = new Float64Histogram(1, MAX_TRACKABLE_US, SIGNIFICANT_DIGITS);
  let x = 12345;
  const next = () => {
    x = (x * 1103515245 + 12345) % 2 ** 31;
    return x;
  };
  const feed = (n: number) => {
    for (let i = 0; i < n; i++) {
      const r = next();
      // Mostly small values, some at and around the direct limit, a few large ones.
      const us = r % 10 === 0 ? DIRECT_US - 2 + (r % 5) : r % 97 === 0 ? r % 5_000_000 : r % 3000;
      h.record(us + 0.4);
      plain.recordValue(Math.max(1, Math.round(us + 0.4)));
    }
  };
  const same = () => {
    assertEquals(h.count, plain.totalCount);
    for (const p of [0, 50, 90, 99, 99.9, 100]) {
      assertEquals(h.percentile(p), plain.getValueAtPercentile(p), `p${p}`);
    }
    const s = h.summary()!;
    const mean = Math.round(plain.mean * 10) / 10;
    assertEquals([s.min, s.max, s.mean], [plain.minNonZeroValue, plain.maxValue, mean]);
  };
  feed(5000);
  same();
  feed(3000); // records after a read go on from where the read left them
  same();
  // The saved form (the JSON result's histogram) is the very same.
  assertEquals(h.encode(), encodeIntoCompressedBase64(plain as never));
  h.reset();
  plain.reset();
  assertEquals(h.count, 0);
  feed(200);
  same();
  const other = new LatencyHistogram();
  other.record(7);
  other.record(DIRECT_US * 3);
  h.merge(other);
  plain.recordValue(7);
  plain.recordValue(DIRECT_US * 3);
  same();
});

Deno.test("perSecond", () => {
  assertEquals(perSecond(500, 250), 2000);
  assertEquals(perSecond(5, 0), 0);
});

Deno.test("split shares totals exactly", () => {
  assertEquals(split(10, 3), [4, 3, 3]);
  assertEquals(split(2, 4), [1, 1, 0, 0]);
  assertEquals(split(1000, 7).reduce((a, b) => a + b, 0), 1000);
});

Deno.test("firstDifference finds the first differing byte at any alignment", () => {
  const want = new Uint8Array(64).map((_, i) => (i * 37) & 0xff);
  for (const from of [0, 1, 2, 3]) {
    const got = new Uint8Array(64);
    const n = 40;
    const at = from + 8; // same residue modulo 4
    got.set(want.subarray(at, at + n), from);
    assertEquals(firstDifference(got, from, want, at, n, words(got), words(want)), -1);
    for (const bad of [0, 1, 5, 17, 39]) {
      got[from + bad] ^= 1;
      assertEquals(firstDifference(got, from, want, at, n, words(got), words(want)), bad);
      got[from + bad] ^= 1;
    }
  }
});
