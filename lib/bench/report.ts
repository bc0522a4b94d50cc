/**
 * Renders `tcpkit bench` results (pure, no I/O): the progress line printed on stderr
 * each interval, the final text report (throughput, latency table, a small terminal
 * histogram, errors) and the `--json` document `{ "spec": ..., "result": ... }` whose
 * snake_case keys carry their units. Rendering returns strings; bench.ts writes them.
 */

import {
  alignColumns,
  formatByteRate,
  formatBytes,
  formatCount,
  formatDuration,
  formatDurationUs,
  formatPercent,
  formatRate,
  padStartWidth,
  type Styles,
  styles,
} from "../common/format.ts";
import type { IntervalStats, LatencyBin, LatencySummary } from "./stats.ts";
import type { BenchTls } from "./tls.ts";

/** What was asked for, as it appears in the report. */
export interface BenchSpec {
  /** The measured server, e.g. `127.0.0.1:9000`. */
  target: string;
  /** Whether the target is bench's own embedded server. */
  embeddedServer: boolean;
  mode: "echo" | "stream" | "connect";
  connections: number;
  sizeBytes: number;
  /** Measuring time; undefined when stopping after `count` messages. */
  durationMs: number | undefined;
  count: number | undefined;
  pipeline: number;
  warmupMs: number;
  /** Open-loop rate in messages per second; undefined for a closed loop. */
  rate: number | undefined;
  workers: number;
  timeoutMs: number;
  /** With `--tls`: the session and certificate a probe connection saw. */
  tls?: BenchTls;
}

/** Kinds of failures, counted separately. */
export type ErrorKind = "connect" | "closed" | "reset" | "stall" | "other";

/** What a run measured, merged over Workers. */
export interface BenchResult {
  /** Messages completed in the measuring window (echoed and verified, or written in stream mode). */
  messages: number;
  /** Length of the measuring window. */
  durationMs: number;
  bytesSent: number;
  bytesReceived: number;
  /** Round-trip latency (echo, connect) in microseconds; undefined in stream mode. */
  latency: LatencySummary | undefined;
  latencyBins: LatencyBin[];
  /** Time to open a connection, in microseconds. */
  connectLatency: LatencySummary | undefined;
  /** Connections opened (in connect mode, one per message). */
  connections: number;
  /** Echoed bytes that differ from what was sent (wrong, missing or extra bytes). */
  mismatches: number;
  errors: Record<ErrorKind, number>;
  /** The first few error descriptions, for the user. */
  errorSamples: string[];
  /** HdrHistogram compressed base64 of the latencies (microseconds). */
  latencyHistogram: string;
  connectLatencyHistogram: string;
}

/** Total of every kind of error (mismatches are separate). */
export function errorCount(result: BenchResult): number {
  return Object.values(result.errors).reduce((a, b) => a + b, 0);
}

/** Whether a result is clean: no errors and no mismatches. */
export function isClean(result: BenchResult): boolean {
  return errorCount(result) === 0 && result.mismatches === 0;
}

/** Messages per second over the measuring window. */
export function msgsPerSec(result: BenchResult): number {
  return result.durationMs > 0 ? result.messages / (result.durationMs / 1000) : 0;
}

/** Bytes per second, both directions together. */
export function bytesPerSec(result: BenchResult): number {
  const bytes = result.bytesSent + result.bytesReceived;
  return result.durationMs > 0 ? bytes / (result.durationMs / 1000) : 0;
}

/** One progress line: `[   2 s]  123k msgs/s   15.1 MiB/s  p99 215 µs`. */
export function renderProgress(stats: IntervalStats): string {
  const seconds = stats.durationMs / 1000;
  const msgs = seconds > 0 ? stats.messages / seconds : 0;
  const bytes = seconds > 0 ? stats.bytes / seconds : 0;
  const p99 = stats.p99Us === undefined ? "-" : formatUs(stats.p99Us);
  const when = padStartWidth(formatDuration(stats.elapsedS * 1000), 6);
  return `[${when}] ${padStartWidth(formatRate(msgs, "msgs"), 12)}  ${
    padStartWidth(formatByteRate(bytes), 10)
  }  p99 ${p99}${stats.warmup ? "  (warmup)" : ""}`;
}

/** A latency in microseconds for people: `85 µs`, `1.25 ms`, `2 s`. */
export function formatUs(us: number): string {
  return formatDurationUs(us);
}

/** No colour. */
export const PLAIN: Styles = styles(false);

/** ANSI colour (from `@std/fmt/colors`, so still none when NO_COLOR is set). */
export const ANSI: Styles = styles(true);

const BAR_WIDTH = 40;
/** Width of the row labels, so every section's values start in the same column. */
const LABEL_WIDTH = 9;
/** Narrowest latency column, so short tables still line up with the header. */
const LATENCY_WIDTH = 8;

/** The final human-readable report. */
export function renderText(spec: BenchSpec, result: BenchResult, style: Styles = PLAIN): string {
  const lines: string[] = [];
  const indent = (rows: string[]) => rows.map((row) => `  ${row}`);
  const loop = spec.mode !== "echo"
    ? spec.mode
    : spec.rate === undefined
    ? `closed loop, pipeline ${spec.pipeline}`
    : `open loop at ${formatRate(spec.rate, "msgs")}, pipeline ${spec.pipeline}`;
  const server = spec.embeddedServer ? " (embedded tcpkit echo server)" : "";
  lines.push(style.bold(`tcpkit bench ${spec.target}${server}`));
  if (spec.tls) {
    const { protocol, cipher, fingerprint, trust } = spec.tls;
    const certificate = fingerprint ? `sha256:${fingerprint}` : "not shown";
    lines.push(`  TLS ${protocol} ${cipher}, certificate ${certificate} (${trust})`);
  }
  lines.push(
    `  ${spec.mode === "stream" ? "stream" : loop}: ${spec.connections} connection${
      spec.connections === 1 ? "" : "s"
    }, ${formatBytes(spec.sizeBytes)} messages, ${spec.workers} worker${
      spec.workers === 1 ? "" : "s"
    }`,
  );
  const what = spec.mode === "stream"
    ? "writes"
    : spec.mode === "connect"
    ? "connections"
    : "messages";
  lines.push(
    `  measured ${formatDuration(result.durationMs)} after ${
      formatDuration(spec.warmupMs)
    } warmup: ${result.messages} ${what}`,
  );
  lines.push("");
  lines.push(style.bold("Throughput"));
  const rateLabel = spec.mode === "connect"
    ? spec.tls ? "handshakes/s" : "conns/s"
    : spec.mode === "stream"
    ? "writes/s"
    : "msgs/s";
  const secs = result.durationMs / 1000;
  const perSec = (bytes: number) => (secs > 0 ? formatByteRate(bytes / secs) : "-");
  lines.push(...indent(alignColumns([
    [rateLabel, formatCount(msgsPerSec(result))],
    ["sent", `${perSec(result.bytesSent)} (${formatBytes(result.bytesSent)})`],
    ["received", `${perSec(result.bytesReceived)} (${formatBytes(result.bytesReceived)})`],
  ], [{ align: "left", minWidth: LABEL_WIDTH }, { align: "left" }])));
  if (result.latency || result.connectLatency) {
    lines.push("");
    lines.push(style.bold("Latency"));
    const row = (label: string, s: LatencySummary) => [
      label,
      ...[s.min, s.p50, s.p90, s.p99, s.p999, s.max, s.mean].map(formatUs),
    ];
    const rows = [["", "min", "p50", "p90", "p99", "p99.9", "max", "mean"]];
    if (result.latency) rows.push(row(spec.mode === "connect" ? "echo" : "round", result.latency));
    // Over TLS, a connect is the TCP connect and the full TLS handshake.
    const connectLabel = spec.tls ? "handshake" : "connect";
    if (result.connectLatency) rows.push(row(connectLabel, result.connectLatency));
    lines.push(...indent(alignColumns(rows, [
      { align: "left", minWidth: LABEL_WIDTH },
      ...Array.from({ length: 7 }, () => ({ align: "right" as const, minWidth: LATENCY_WIDTH })),
    ])));
  }
  if (result.latencyBins.length > 0) {
    lines.push("");
    lines.push(style.bold("Latency histogram"));
    const most = Math.max(...result.latencyBins.map((b) => b.count));
    const total = result.latencyBins.reduce((a, b) => a + b.count, 0);
    const rows = result.latencyBins.map((bin) => [
      "<=",
      formatUs(bin.toUs),
      total > 0 ? formatPercent(bin.count / total) : "-",
      "#".repeat(most > 0 ? Math.round((bin.count / most) * BAR_WIDTH) : 0),
    ]);
    lines.push(...indent(alignColumns(rows, [
      { align: "left" },
      { align: "right", minWidth: LATENCY_WIDTH },
      { align: "right", minWidth: 6 },
      { align: "left" },
    ])));
  }
  lines.push("");
  const errors = errorCount(result);
  if (errors === 0 && result.mismatches === 0) {
    // Stream mode echoes nothing: there is nothing to match, only errors to count.
    lines.push(
      style.green(
        spec.mode === "stream" ? "No errors" : "No errors: every echoed byte matched",
      ),
    );
  } else {
    const kinds = Object.entries(result.errors)
      .filter(([, n]) => n > 0)
      .map(([kind, n]) => `${kind} ${n}`);
    lines.push(
      style.red(
        `Errors: ${errors}${
          kinds.length > 0 ? ` (${kinds.join(", ")})` : ""
        }, mismatches: ${result.mismatches}`,
      ),
    );
    for (const sample of result.errorSamples) lines.push(`  ${sample}`);
  }
  return lines.join("\n") + "\n";
}

/** The `--json` document. Times in the keys' units; latency keys are null when not measured. */
export function renderJson(spec: BenchSpec, result: BenchResult): string {
  const latency = (s: LatencySummary | undefined) =>
    s === undefined
      ? null
      : { min: s.min, p50: s.p50, p90: s.p90, p99: s.p99, p999: s.p999, max: s.max, mean: s.mean };
  const secs = result.durationMs / 1000;
  const document = {
    spec: {
      target: spec.target,
      embedded_server: spec.embeddedServer,
      mode: spec.mode,
      connections: spec.connections,
      size_bytes: spec.sizeBytes,
      duration_ms: spec.durationMs ?? null,
      count: spec.count ?? null,
      pipeline: spec.pipeline,
      warmup_ms: spec.warmupMs,
      rate_msgs_per_sec: spec.rate ?? null,
      workers: spec.workers,
      timeout_ms: spec.timeoutMs,
      // Only with --tls, so a plain run's document keeps its shape.
      ...(spec.tls && {
        tls: {
          protocol: spec.tls.protocol,
          cipher: spec.tls.cipher,
          certificate_sha256: spec.tls.fingerprint ?? null,
          trust: spec.tls.trust,
        },
      }),
    },
    result: {
      messages: result.messages,
      duration_ms: round3(result.durationMs),
      msgs_per_sec: round3(msgsPerSec(result)),
      bytes_sent: result.bytesSent,
      bytes_received: result.bytesReceived,
      bytes_per_sec: round3(bytesPerSec(result)),
      sent_bytes_per_sec: round3(secs > 0 ? result.bytesSent / secs : 0),
      received_bytes_per_sec: round3(secs > 0 ? result.bytesReceived / secs : 0),
      latency_us: latency(result.latency),
      connect_latency_us: latency(result.connectLatency),
      connections: result.connections,
      errors: errorCount(result),
      error_kinds: { ...result.errors },
      error_samples: result.errorSamples,
      mismatches: result.mismatches,
      latency_histogram_us: result.latencyHistogram,
      connect_latency_histogram_us: result.connectLatencyHistogram,
    },
  };
  return JSON.stringify(document, null, 2) + "\n";
}

function round3(n: number): number {
  return Math.round(n * 1000) / 1000;
}
