/**
 * `tcpkit bench compare BASE NEW`: two saved results side by side (throughput, latency
 * percentiles, errors) with the change from BASE to NEW in %, as a text table or one JSON
 * document. Pure: saved results in, text out.
 *
 * Latency percentiles are read from each result's HdrHistogram, as bench reports them.
 * A change is a percentage of BASE; when BASE is 0 there is none (`null` in JSON), and the
 * table shows the difference instead (`+3` errors).
 */

import { RuntimeError } from "../common/errors.ts";
import {
  alignColumns,
  formatByteRate,
  formatBytes,
  formatCount,
  formatDurationUs,
  type Styles,
  styles,
} from "../common/format.ts";
import { latencyHistogram, type NamedResult, type SavedSpec } from "./result.ts";

/** Which way is better for a metric. */
type Better = "higher" | "lower";

/** One compared quantity. */
export interface Metric {
  /** JSON key, with its unit: `msgs_per_sec`, `latency_p99_us`. */
  key: string;
  /** Row label in the table: `msgs/s`, `p99`. */
  label: string;
  /** null when the result has no such value (latency in stream mode). */
  base: number | null;
  next: number | null;
  /** (next - base) / base in %, or null when either is missing or base is 0. */
  changePct: number | null;
  better: Better;
  kind: "count" | "byte-rate" | "latency";
}

/** Two results compared. */
export interface Comparison {
  base: NamedResult;
  next: NamedResult;
  metrics: Metric[];
}

/** Compares BASE with NEW; results of different modes count different things: an error. */
export function compareResults(base: NamedResult, next: NamedResult): Comparison {
  const [a, b] = [base.saved.spec.mode, next.saved.spec.mode];
  if (a !== b) {
    throw new RuntimeError(
      `cannot compare "${next.file}" (--mode ${b}) with "${base.file}" (--mode ${a}): ` +
        "they measure different things",
    );
  }
  const values = (named: NamedResult) => {
    const result = named.saved.result;
    const latency = latencyHistogram(named.saved).summary();
    return {
      msgs_per_sec: result.msgs_per_sec,
      bytes_per_sec: result.bytes_per_sec,
      latency_p50_us: latency?.p50 ?? null,
      latency_p90_us: latency?.p90 ?? null,
      latency_p99_us: latency?.p99 ?? null,
      latency_p999_us: latency?.p999 ?? null,
      latency_max_us: latency?.max ?? null,
      errors: result.errors,
      mismatches: result.mismatches,
    };
  };
  const before = values(base);
  const after = values(next);
  const rows: [keyof typeof before, string, Better, Metric["kind"]][] = [
    ["msgs_per_sec", rateLabel(base.saved.spec.mode), "higher", "count"],
    ["bytes_per_sec", "bytes/s", "higher", "byte-rate"],
    ["latency_p50_us", "p50", "lower", "latency"],
    ["latency_p90_us", "p90", "lower", "latency"],
    ["latency_p99_us", "p99", "lower", "latency"],
    ["latency_p999_us", "p99.9", "lower", "latency"],
    ["latency_max_us", "max", "lower", "latency"],
    ["errors", "errors", "lower", "count"],
    ["mismatches", "mismatches", "lower", "count"],
  ];
  const metrics = rows.map(([key, label, better, kind]): Metric => ({
    key,
    label,
    base: before[key],
    next: after[key],
    changePct: change(before[key], after[key]),
    better,
    kind,
  }));
  return { base, next, metrics };
}

/** The rate row's label, in bench's own words for the mode. */
function rateLabel(mode: SavedSpec["mode"]): string {
  return mode === "stream" ? "writes/s" : mode === "connect" ? "conns/s" : "msgs/s";
}

function change(base: number | null, next: number | null): number | null {
  if (base === null || next === null || base === 0) return null;
  return ((next - base) / base) * 100;
}

/** No colour. */
const PLAIN = styles(false);

/** The text table; `style` colours a change green when better, red when worse. */
export function renderComparisonText(comparison: Comparison, style: Styles = PLAIN): string {
  const { base, next, metrics } = comparison;
  const describe = (role: string, named: NamedResult) => [
    role,
    named.saved.label === undefined ? named.file : `${named.file} (${named.saved.label})`,
    describeSpec(named.saved.spec),
  ];
  const lines = [
    style.bold("tcpkit bench compare"),
    ...alignColumns([describe("base", base), describe("new", next)], [
      { align: "left" },
      { align: "left" },
      { align: "left" },
    ]).map((line) => `  ${line}`),
    "",
  ];
  // Rows that neither result has (latency in stream mode) and mismatches when there
  // are none say nothing.
  const shown = metrics.filter((m) =>
    (m.base !== null || m.next !== null) && (m.key !== "mismatches" || m.base || m.next)
  );
  const rows = [
    ["", "base", "new", "change"],
    ...shown.map((m) => [
      m.label,
      formatValue(m, m.base),
      formatValue(m, m.next),
      colourChange(m, style),
    ]),
  ];
  lines.push(
    ...alignColumns(rows, [
      { align: "left" },
      { align: "right", minWidth: 9 },
      { align: "right", minWidth: 9 },
      { align: "right", minWidth: 8 },
    ]).map((line) => `  ${line}`),
  );
  return lines.join("\n") + "\n";
}

/** `echo, 50 connections, 64 B, closed loop, 127.0.0.1:7000`. */
function describeSpec(spec: SavedSpec): string {
  const loop = spec.mode !== "echo"
    ? undefined
    : spec.rate_msgs_per_sec === null
    ? `closed loop, pipeline ${spec.pipeline}`
    : `open loop at ${formatCount(spec.rate_msgs_per_sec)} msgs/s, pipeline ${spec.pipeline}`;
  return [
    spec.mode,
    `${spec.connections} connection${spec.connections === 1 ? "" : "s"}`,
    `${formatBytes(spec.size_bytes)} messages`,
    ...(loop ? [loop] : []),
    spec.target,
  ].join(", ");
}

function formatValue(metric: Metric, value: number | null): string {
  if (value === null) return "-";
  switch (metric.kind) {
    case "byte-rate":
      return formatByteRate(value);
    case "latency":
      return formatDurationUs(value);
    case "count":
      return metric.key === "msgs_per_sec" ? formatCount(value) : String(value);
  }
}

/** `+12.3%`, `-4.0%`, `0.0%`; `+3` when BASE is 0; `-` when a value is missing. */
export function formatChange(metric: Metric): string {
  const { base, next, changePct } = metric;
  if (base === null || next === null) return "-";
  if (changePct === null) return next === 0 ? "0.0%" : `+${formatValue(metric, next)}`;
  const rounded = Math.round(changePct * 10) / 10;
  return `${rounded > 0 ? "+" : rounded < 0 ? "-" : ""}${Math.abs(rounded).toFixed(1)}%`;
}

function colourChange(metric: Metric, style: Styles): string {
  const text = formatChange(metric);
  if (metric.base === null || metric.next === null || metric.base === metric.next) return text;
  const better = metric.better === "higher" ? metric.next > metric.base : metric.next < metric.base;
  return better ? style.green(text) : style.red(text);
}

/**
 * The `--json` document: `base` and `new` (file, label, spec), and `metrics`, one object
 * per quantity with `base`, `new` and `change_pct` (null when there is none).
 */
export function renderComparisonJson(comparison: Comparison): string {
  const side = (named: NamedResult) => ({
    file: named.file,
    label: named.saved.label ?? null,
    spec: named.saved.spec,
  });
  const round3 = (n: number | null) => n === null ? null : Math.round(n * 1000) / 1000;
  const document = {
    base: side(comparison.base),
    new: side(comparison.next),
    metrics: Object.fromEntries(
      comparison.metrics.map((m) => [m.key, {
        base: m.base,
        new: m.next,
        change_pct: round3(m.changePct),
      }]),
    ),
  };
  return JSON.stringify(document, null, 2) + "\n";
}
