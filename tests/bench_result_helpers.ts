/**
 * Test helpers for saved bench results: a `bench --json` document built from chosen
 * latencies and counts, without running a benchmark, for the merge, compare and plot tests.
 */

import type { NamedResult, SavedResult, SavedSpec } from "../lib/bench/result.ts";
import { savedLatency } from "../lib/bench/result.ts";
import { LatencyHistogram } from "../lib/bench/stats.ts";

export interface FakeRun {
  /** Round-trip latencies in µs (none: stream mode's empty histogram). */
  latencies?: number[];
  connectLatencies?: number[];
  messages?: number;
  durationMs?: number;
  bytesSent?: number;
  bytesReceived?: number;
  errors?: Partial<Record<"connect" | "closed" | "reset" | "stall" | "other", number>>;
  errorSamples?: string[];
  mismatches?: number;
  spec?: Partial<SavedSpec>;
  label?: string;
}

/** A histogram holding `values`. */
export function histogramOf(values: number[]): LatencyHistogram {
  const h = new LatencyHistogram();
  for (const v of values) h.record(v);
  return h;
}

/** A saved result as `bench --json` would write it for such a run. */
export function fakeResult(run: FakeRun = {}): SavedResult {
  const latencies = run.latencies ?? [100, 200, 300];
  const messages = run.messages ?? latencies.length;
  const durationMs = run.durationMs ?? 1000;
  const sizeBytes = run.spec?.size_bytes ?? 64;
  const sent = run.bytesSent ?? messages * sizeBytes;
  const received = run.bytesReceived ?? sent;
  const errorKinds = { connect: 0, closed: 0, reset: 0, stall: 0, other: 0, ...run.errors };
  const latency = histogramOf(latencies);
  const connect = histogramOf(run.connectLatencies ?? [1000]);
  const secs = durationMs / 1000;
  const saved: SavedResult = {
    spec: {
      target: "127.0.0.1:7000",
      embedded_server: false,
      mode: "echo",
      connections: 10,
      size_bytes: sizeBytes,
      duration_ms: durationMs,
      count: null,
      pipeline: 1,
      warmup_ms: 1000,
      rate_msgs_per_sec: null,
      workers: 1,
      timeout_ms: 10_000,
      ...run.spec,
    },
    result: {
      messages,
      duration_ms: durationMs,
      msgs_per_sec: messages / secs,
      bytes_sent: sent,
      bytes_received: received,
      bytes_per_sec: (sent + received) / secs,
      sent_bytes_per_sec: sent / secs,
      received_bytes_per_sec: received / secs,
      // As bench reports them: from the histograms as encoded.
      latency_us: savedLatency(LatencyHistogram.decode(latency.encode()).summary()),
      connect_latency_us: savedLatency(LatencyHistogram.decode(connect.encode()).summary()),
      connections: run.spec?.connections ?? 10,
      errors: Object.values(errorKinds).reduce((a, b) => a + b, 0),
      error_kinds: errorKinds,
      error_samples: run.errorSamples ?? [],
      mismatches: run.mismatches ?? 0,
      latency_histogram_us: latency.encode(),
      connect_latency_histogram_us: connect.encode(),
    },
  };
  if (run.label !== undefined) saved.label = run.label;
  return saved;
}

/** `fakeResult(run)` as read from `file`. */
export function named(file: string, run: FakeRun = {}): NamedResult {
  return { file, saved: fakeResult(run) };
}

/** Deterministic pseudo-random latencies: a body around `median` and a long tail. */
export function latencySample(count: number, median: number, seed: number): number[] {
  let a = seed >>> 0;
  const next = () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  return Array.from({ length: count }, () => {
    const u = next();
    // Mostly near the median; 1% up to 100 times slower.
    return u < 0.99 ? median * (0.5 + next()) : median * (1 + 99 * next());
  });
}
