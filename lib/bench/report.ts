/**
 * Renders `tcpkit bench` results (pure, no I/O): the progress line printed on stderr
 * each interval, the final text report (throughput, client CPU, latency table, a small
 * terminal histogram, errors), the warning for a saturated client, and the `--json`
 * document `{ "spec": ..., "result": ..., "error": ... }` whose snake_case keys carry
 * their units. Progress lines and the report share one vocabulary (`msgs/s`, `writes/s`
 * or `conns/s`; `sent` and `received` per direction; `p99`; `cpu`) and one formatter.
 * Rendering returns strings; bench.ts writes them.
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

/**
 * CPU time the client's own Workers used while measuring (their threads only, so an
 * embedded server's work is not counted), against what their cores could give.
 */
export interface ClientCpu {
  userMs: number;
  systemMs: number;
  /** The wall-clock window the CPU time was taken over. */
  wallMs: number;
  /** Cores the client could use: its Workers, at most the machine's cores. */
  cores: number;
}

/**
 * Shortest window a CPU share is given for: the kernel counts thread CPU time in 10 ms
 * ticks, so a shorter window would be off by more than a tenth.
 */
export const MIN_CPU_WINDOW_MS = 100;

/**
 * A client busier than this share of its cores is the bottleneck, or close enough to it
 * that the results say as much about the client as about the server: it never waits for
 * replies. (iperf3 reports the same figure; tools measured at 100% here were the limit.)
 */
export const SATURATED_BUSY = 0.9;

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
  /** The client's CPU use while measuring; undefined when not measured. */
  clientCpu: ClientCpu | undefined;
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

/**
 * The throughput unit of a mode, in progress lines and the report alike (over TLS a
 * connection is a full handshake).
 */
export function rateLabel(mode: BenchSpec["mode"], tls = false): string {
  if (mode === "connect") return tls ? "handshakes/s" : "conns/s";
  return mode === "stream" ? "writes/s" : "msgs/s";
}

/** Whether the mode's messages come back: stream mode only sends. */
function receives(mode: BenchSpec["mode"]): boolean {
  return mode !== "stream";
}

/** Busy share (0 to 1) of the client's cores; undefined when nothing was measured. */
export function clientBusy(cpu: ClientCpu | undefined): number | undefined {
  if (cpu === undefined || cpu.wallMs < MIN_CPU_WINDOW_MS || cpu.cores <= 0) return undefined;
  return (cpu.userMs + cpu.systemMs) / (cpu.wallMs * cpu.cores);
}

/** `97.0% of 1 core` */
function formatCpu(busy: number, cores: number): string {
  return `${formatPercent(busy)} of ${cores} core${cores === 1 ? "" : "s"}`;
}

/** The stderr warning for a client that was the bottleneck, or undefined. */
export function saturationWarning(result: BenchResult): string | undefined {
  const busy = clientBusy(result.clientCpu);
  if (busy === undefined || busy < SATURATED_BUSY) return undefined;
  return `warning: client CPU ${formatCpu(busy, result.clientCpu!.cores)}: ` +
    "results reflect this client: add --workers or run it on another machine";
}

/**
 * One progress line, in the report's words:
 * `[   2 s]  msgs/s  123k  sent 7.53 MiB/s  received 7.53 MiB/s  p99 215 µs  cpu 97.0%`.
 * Bytes are messages times `sizeBytes`, as the report counts them.
 */
export function renderProgress(
  mode: BenchSpec["mode"],
  sizeBytes: number,
  stats: IntervalStats,
  tls = false,
): string {
  const seconds = stats.durationMs / 1000;
  const perSec = (n: number) => (seconds > 0 ? n / seconds : 0);
  const bytes = padStartWidth(formatByteRate(perSec(stats.messages * sizeBytes)), 10);
  const cells = [
    `[${padStartWidth(formatDuration(stats.elapsedS * 1000), 6)}]`,
    `${rateLabel(mode, tls)} ${padStartWidth(formatCount(perSec(stats.messages)), 5)}`,
    `sent ${bytes}`,
  ];
  if (receives(mode)) {
    cells.push(`received ${bytes}`);
    const p99 = stats.p99Us === undefined ? "-" : formatUs(stats.p99Us);
    cells.push(`p99 ${padStartWidth(p99, 7)}`);
  }
  if (stats.cpuBusy !== undefined) {
    cells.push(`cpu ${padStartWidth(formatPercent(stats.cpuBusy), 6)}`);
  }
  if (stats.warmup) cells.push("(warmup)");
  return cells.join("  ");
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
  const server = spec.embeddedServer
    ? ` (embedded tcpkit ${spec.mode === "stream" ? "discard" : "echo"} server)`
    : "";
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
  const warmup = spec.warmupMs > 0 ? ` after ${formatDuration(spec.warmupMs)} warmup` : "";
  lines.push(
    `  measured ${formatDuration(result.durationMs)}${warmup}: ${result.messages} ${what}`,
  );
  lines.push("");
  lines.push(style.bold("Throughput"));
  const secs = result.durationMs / 1000;
  const perSec = (bytes: number) => (secs > 0 ? formatByteRate(bytes / secs) : "-");
  const throughput = [
    [rateLabel(spec.mode, spec.tls !== undefined), formatCount(msgsPerSec(result))],
    ["sent", `${perSec(result.bytesSent)} (${formatBytes(result.bytesSent)})`],
  ];
  if (receives(spec.mode)) {
    throughput.push([
      "received",
      `${perSec(result.bytesReceived)} (${formatBytes(result.bytesReceived)})`,
    ]);
  }
  const busy = clientBusy(result.clientCpu);
  if (busy !== undefined) {
    const cpu = result.clientCpu!;
    const share = (ms: number) => formatPercent(ms / (cpu.wallMs * cpu.cores));
    throughput.push([
      "cpu",
      `${formatCpu(busy, cpu.cores)} (user ${share(cpu.userMs)}, system ${share(cpu.systemMs)})`,
    ]);
  }
  lines.push(...indent(alignColumns(throughput, [
    { align: "left", minWidth: LABEL_WIDTH },
    { align: "left" },
  ])));
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

/**
 * The `--json` document. Times in the keys' units; latency and CPU keys are null when not
 * measured. `error` is null, or why the run failed (the result then holds what was
 * counted before, often only errors).
 */
export function renderJson(spec: BenchSpec, result: BenchResult, error?: string): string {
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
      client_cpu: cpuJson(result.clientCpu),
    },
    error: error ?? null,
  };
  return JSON.stringify(document, null, 2) + "\n";
}

function cpuJson(cpu: ClientCpu | undefined) {
  const busy = clientBusy(cpu);
  if (cpu === undefined || busy === undefined) return null;
  return {
    user_ms: round3(cpu.userMs),
    system_ms: round3(cpu.systemMs),
    wall_ms: round3(cpu.wallMs),
    cores: cpu.cores,
    busy_percent: round3(busy * 100),
    saturated: busy >= SATURATED_BUSY,
  };
}

function round3(n: number): number {
  return Math.round(n * 1000) / 1000;
}
