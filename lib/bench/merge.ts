/**
 * `tcpkit bench merge`: one result from several saved ones, for example one client per
 * machine against one server. Pure: saved results in, a saved result out.
 *
 * The rules, so a merged result can be merged, compared and plotted again:
 * - The runs must agree on what a message is: the same `--mode`, message size and
 *   pipeline, and all closed loop or all open loop. Anything else is an error.
 * - Counts add: messages, bytes, connections, errors (by kind), mismatches.
 * - Latency histograms add (HdrHistogram), and the percentiles are read from the sum.
 * - Rates add over the common window: each run's rate was measured over its own window,
 *   and runs started together all ran during the shortest one, so the merged rate is the
 *   sum of the rates and `duration_ms` is the shortest window. (A saved result has no start
 *   time: that the runs overlapped is the caller's word.)
 * - In `spec`, `connections`, `workers`, `rate_msgs_per_sec` and `count` add; the target
 *   is each distinct target, comma-separated; `duration_ms` is the shortest, `warmup_ms`
 *   and `timeout_ms` the longest.
 * - `merged_from` lists the inputs: file, label, target, connections, window and messages.
 */

import { RuntimeError } from "../common/errors.ts";
import { formatBytes, formatDuration } from "../common/format.ts";
import {
  connectLatencyHistogram,
  latencyHistogram,
  type MergedInput,
  type NamedResult,
  type SavedClientCpu,
  savedLatency,
  type SavedResult,
} from "./result.ts";

/** Error samples kept in a merged result, as bench keeps them. */
const ERROR_SAMPLES = 5;

/** Windows that differ by more than this share are worth a warning. */
const WINDOW_SPREAD = 0.05;

/** A merged result, and what the caller should warn about. */
export interface MergeOutcome {
  merged: SavedResult;
  /** One-line warnings for stderr (e.g. windows of different lengths). */
  warnings: string[];
}

/** Merges saved results; throws a RuntimeError when they measured different things. */
export function mergeResults(inputs: readonly NamedResult[]): MergeOutcome {
  if (inputs.length === 0) throw new Error("mergeResults needs at least one result");
  checkCompatible(inputs);
  const specs = inputs.map((i) => i.saved.spec);
  const results = inputs.map((i) => i.saved.result);
  const sum = (values: number[]) => values.reduce((a, b) => a + b, 0);
  const nonNull = (values: (number | null)[]) => values.filter((v): v is number => v !== null);
  const durations = nonNull(specs.map((s) => s.duration_ms));
  const counts = nonNull(specs.map((s) => s.count));
  const rates = nonNull(specs.map((s) => s.rate_msgs_per_sec));

  const latency = latencyHistogram(inputs[0].saved);
  const connectLatency = connectLatencyHistogram(inputs[0].saved);
  for (const input of inputs.slice(1)) {
    latency.merge(latencyHistogram(input.saved));
    connectLatency.merge(connectLatencyHistogram(input.saved));
  }
  const errorKinds: Record<string, number> = {};
  for (const result of results) {
    for (const [kind, n] of Object.entries(result.error_kinds)) {
      errorKinds[kind] = (errorKinds[kind] ?? 0) + n;
    }
  }
  const windows = results.map((r) => r.duration_ms);
  const merged: SavedResult = {
    spec: {
      target: [...new Set(specs.map((s) => s.target))].join(", "),
      embedded_server: specs.every((s) => s.embedded_server),
      mode: specs[0].mode,
      connections: sum(specs.map((s) => s.connections)),
      size_bytes: specs[0].size_bytes,
      duration_ms: durations.length > 0 ? Math.min(...durations) : null,
      count: counts.length > 0 ? sum(counts) : null,
      pipeline: specs[0].pipeline,
      warmup_ms: Math.max(...specs.map((s) => s.warmup_ms)),
      rate_msgs_per_sec: rates.length > 0 ? sum(rates) : null,
      workers: sum(specs.map((s) => s.workers)),
      timeout_ms: Math.max(...specs.map((s) => s.timeout_ms)),
    },
    result: {
      messages: sum(results.map((r) => r.messages)),
      duration_ms: Math.min(...windows),
      msgs_per_sec: round3(sum(results.map((r) => r.msgs_per_sec))),
      bytes_sent: sum(results.map((r) => r.bytes_sent)),
      bytes_received: sum(results.map((r) => r.bytes_received)),
      bytes_per_sec: round3(sum(results.map((r) => r.bytes_per_sec))),
      sent_bytes_per_sec: round3(sum(results.map((r) => r.sent_bytes_per_sec))),
      received_bytes_per_sec: round3(sum(results.map((r) => r.received_bytes_per_sec))),
      latency_us: savedLatency(latency.summary()),
      connect_latency_us: savedLatency(connectLatency.summary()),
      connections: sum(results.map((r) => r.connections)),
      errors: sum(results.map((r) => r.errors)),
      error_kinds: errorKinds,
      error_samples: inputs
        .flatMap(({ file, saved }) => saved.result.error_samples.map((s) => `${file}: ${s}`))
        .slice(0, ERROR_SAMPLES),
      mismatches: sum(results.map((r) => r.mismatches)),
      latency_histogram_us: latency.encode(),
      connect_latency_histogram_us: connectLatency.encode(),
      ...mergedCpu(results.map((r) => r.client_cpu)),
    },
    merged_from: inputs.map(mergedInput),
  };
  const warnings: string[] = [];
  const shortest = Math.min(...windows);
  const longest = Math.max(...windows);
  if (longest > shortest * (1 + WINDOW_SPREAD)) {
    const at = (ms: number) => `"${inputs[windows.indexOf(ms)].file}"`;
    warnings.push(
      `measuring windows differ: ${formatDuration(longest)} in ${at(longest)}, ` +
        `${formatDuration(shortest)} in ${at(shortest)}; rates add over the shortest, ` +
        `counts over each whole run`,
    );
  }
  return { merged, warnings };
}

/**
 * The clients' CPU together: times and cores add, the busy share is the total CPU time
 * over the total core time, and the merge is saturated when any client was (its figures
 * reflect that client). Unknown when any input does not say.
 */
function mergedCpu(
  cpus: (SavedClientCpu | null | undefined)[],
): { client_cpu?: SavedClientCpu | null } {
  if (cpus.every((c) => c === undefined)) return {};
  if (cpus.some((c) => c === undefined || c === null)) return { client_cpu: null };
  const known = cpus as SavedClientCpu[];
  const total = (pick: (c: SavedClientCpu) => number) => known.reduce((a, c) => a + pick(c), 0);
  const coreMs = total((c) => c.wall_ms * c.cores);
  const cpuMs = total((c) => c.user_ms + c.system_ms);
  return {
    client_cpu: {
      user_ms: round3(total((c) => c.user_ms)),
      system_ms: round3(total((c) => c.system_ms)),
      wall_ms: round3(Math.max(...known.map((c) => c.wall_ms))),
      cores: total((c) => c.cores),
      busy_percent: round3(coreMs > 0 ? (cpuMs / coreMs) * 100 : 0),
      saturated: known.some((c) => c.saturated),
    },
  };
}

/** What `merged_from` says about one input. */
function mergedInput({ file, saved }: NamedResult): MergedInput {
  return {
    file,
    ...(saved.label === undefined ? {} : { label: saved.label }),
    target: saved.spec.target,
    connections: saved.spec.connections,
    duration_ms: saved.result.duration_ms,
    messages: saved.result.messages,
    ...(saved.merged_from === undefined ? {} : { merged_from: saved.merged_from }),
  };
}

/** Throws unless every input measured the same kind of message as the first. */
function checkCompatible(inputs: readonly NamedResult[]) {
  const first = inputs[0];
  const loop = (r: SavedResult) =>
    r.spec.rate_msgs_per_sec === null ? "closed loop" : "open loop (--rate)";
  const settings: [string, (r: SavedResult) => string][] = [
    ["--mode", (r) => `--mode ${r.spec.mode}`],
    ["message size", (r) => `${formatBytes(r.spec.size_bytes)} messages`],
    ["--pipeline", (r) => `--pipeline ${r.spec.pipeline}`],
    ["closed or open loop", loop],
  ];
  for (const input of inputs.slice(1)) {
    for (const [what, show] of settings) {
      const [a, b] = [show(first.saved), show(input.saved)];
      if (a !== b) {
        throw new RuntimeError(
          `cannot merge "${input.file}" (${b}) with "${first.file}" (${a}): ` +
            `merged results must agree on ${what}`,
        );
      }
    }
  }
}

function round3(n: number): number {
  return Math.round(n * 1000) / 1000;
}
