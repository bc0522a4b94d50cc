/**
 * A saved bench result: the `{ "spec": ..., "result": ... }` document that `bench --json`
 * prints (and `bench merge` prints again), as a type, read back and checked, and written
 * out. `bench merge`, `bench compare` and `bench plot` work on it. Pure: parsing text and
 * rendering text, no I/O.
 *
 * The document is the contract, not bench's in-memory types: a result saved by an older or
 * newer tcpkit reads the same as long as the documented keys are there. Keys this reader
 * does not know are ignored.
 */

import { RuntimeError } from "../common/errors.ts";
import { LatencyHistogram, type LatencySummary } from "./stats.ts";

/** What a bench run measured: `--mode`. */
export type BenchMode = "echo" | "stream" | "connect";

const MODES: readonly BenchMode[] = ["echo", "stream", "connect"];

/** `spec`: the settings that produced the result. */
export interface SavedSpec {
  target: string;
  embedded_server: boolean;
  mode: BenchMode;
  connections: number;
  size_bytes: number;
  duration_ms: number | null;
  count: number | null;
  pipeline: number;
  warmup_ms: number;
  rate_msgs_per_sec: number | null;
  workers: number;
  timeout_ms: number;
}

/** A latency summary in microseconds, as `latency_us` holds it (no count). */
export type SavedLatency = Omit<LatencySummary, "count">;

/** `result`: what was measured. */
export interface SavedMeasurements {
  messages: number;
  duration_ms: number;
  msgs_per_sec: number;
  bytes_sent: number;
  bytes_received: number;
  bytes_per_sec: number;
  sent_bytes_per_sec: number;
  received_bytes_per_sec: number;
  latency_us: SavedLatency | null;
  connect_latency_us: SavedLatency | null;
  connections: number;
  errors: number;
  /** Errors by kind (`connect`, `closed`, `reset`, `stall`, `other`). */
  error_kinds: Record<string, number>;
  error_samples: string[];
  mismatches: number;
  /** HdrHistogram, compressed base64, microseconds. */
  latency_histogram_us: string;
  connect_latency_histogram_us: string;
  /** The client's own CPU use; absent in results saved before it was reported. */
  client_cpu?: SavedClientCpu | null;
}

/** `result.client_cpu`: the client Workers' CPU time while measuring. */
export interface SavedClientCpu {
  user_ms: number;
  system_ms: number;
  wall_ms: number;
  cores: number;
  busy_percent: number;
  saturated: boolean;
}

/** One input of a merged result, as its `merged_from` lists it. */
export interface MergedInput {
  /** The file name given to `bench merge`. */
  file: string;
  label?: string;
  target: string;
  connections: number;
  duration_ms: number;
  messages: number;
  /** When the input was itself a merged result, what it merged. */
  merged_from?: MergedInput[];
}

/** A whole saved result. */
export interface SavedResult {
  /** A name for the result in charts and tables (optional, e.g. set with jq). */
  label?: string;
  spec: SavedSpec;
  result: SavedMeasurements;
  /** Present in the output of `bench merge`: the results it was made from. */
  merged_from?: MergedInput[];
}

/** A saved result and the file name it was read from. */
export interface NamedResult {
  file: string;
  saved: SavedResult;
}

/**
 * Reads a saved result from `text`, the content of `file` (named in errors). Anything that
 * is not a bench result with the documented keys is a RuntimeError naming the first
 * problem: the command line was right, the file's content is not.
 */
export function parseSavedResult(text: string, file: string): SavedResult {
  let document: unknown;
  try {
    document = JSON.parse(text);
  } catch (error) {
    const why = (error as Error).message.split("\n")[0];
    throw new RuntimeError(`"${file}" is not a tcpkit bench result: not JSON (${why})`);
  }
  const fail = (what: string) =>
    new RuntimeError(`"${file}" is not a tcpkit bench result: ${what}`);
  const top = object(document, "the document", fail);
  const spec = object(top.spec, `"spec"`, fail);
  const result = object(top.result, `"result"`, fail);
  const get = new Reader(fail);
  const mode = get.string(spec, "spec", "mode");
  if (!MODES.includes(mode as BenchMode)) {
    throw fail(`"spec.mode" is ${JSON.stringify(mode)}, not one of ${MODES.join(", ")}`);
  }
  const saved: SavedResult = {
    spec: {
      target: get.string(spec, "spec", "target"),
      embedded_server: get.boolean(spec, "spec", "embedded_server"),
      mode: mode as BenchMode,
      connections: get.number(spec, "spec", "connections"),
      size_bytes: get.number(spec, "spec", "size_bytes"),
      duration_ms: get.numberOrNull(spec, "spec", "duration_ms"),
      count: get.numberOrNull(spec, "spec", "count"),
      pipeline: get.number(spec, "spec", "pipeline"),
      warmup_ms: get.number(spec, "spec", "warmup_ms"),
      rate_msgs_per_sec: get.numberOrNull(spec, "spec", "rate_msgs_per_sec"),
      workers: get.number(spec, "spec", "workers"),
      timeout_ms: get.number(spec, "spec", "timeout_ms"),
    },
    result: {
      messages: get.number(result, "result", "messages"),
      duration_ms: get.number(result, "result", "duration_ms"),
      msgs_per_sec: get.number(result, "result", "msgs_per_sec"),
      bytes_sent: get.number(result, "result", "bytes_sent"),
      bytes_received: get.number(result, "result", "bytes_received"),
      bytes_per_sec: get.number(result, "result", "bytes_per_sec"),
      sent_bytes_per_sec: get.number(result, "result", "sent_bytes_per_sec"),
      received_bytes_per_sec: get.number(result, "result", "received_bytes_per_sec"),
      latency_us: get.latency(result, "result", "latency_us"),
      connect_latency_us: get.latency(result, "result", "connect_latency_us"),
      connections: get.number(result, "result", "connections"),
      errors: get.number(result, "result", "errors"),
      error_kinds: get.counts(result, "result", "error_kinds"),
      error_samples: get.strings(result, "result", "error_samples"),
      mismatches: get.number(result, "result", "mismatches"),
      latency_histogram_us: get.histogram(result, "result", "latency_histogram_us"),
      connect_latency_histogram_us: get.histogram(result, "result", "connect_latency_histogram_us"),
      ...(result.client_cpu === undefined
        ? {}
        : { client_cpu: get.clientCpu(result, "result", "client_cpu") }),
    },
  };
  if (top.label !== undefined) {
    if (typeof top.label !== "string") throw fail(`"label" is not a string`);
    saved.label = top.label;
  }
  if (top.merged_from !== undefined) {
    if (!Array.isArray(top.merged_from)) throw fail(`"merged_from" is not a list`);
    saved.merged_from = top.merged_from as MergedInput[];
  }
  return saved;
}

/** The round-trip latency histogram of a saved result (empty in stream mode). */
export function latencyHistogram(saved: SavedResult): LatencyHistogram {
  return LatencyHistogram.decode(saved.result.latency_histogram_us);
}

/** The connect latency histogram of a saved result. */
export function connectLatencyHistogram(saved: SavedResult): LatencyHistogram {
  return LatencyHistogram.decode(saved.result.connect_latency_histogram_us);
}

/** `latency_us` as bench writes it, from a summary; null when nothing was recorded. */
export function savedLatency(summary: LatencySummary | undefined): SavedLatency | null {
  if (summary === undefined) return null;
  const { min, p50, p90, p99, p999, max, mean } = summary;
  return { min, p50, p90, p99, p999, max, mean };
}

/** The document's text: keys in bench's order (label first, merged_from last), 2-space indent. */
export function renderSavedResult(saved: SavedResult): string {
  const document = {
    ...(saved.label === undefined ? {} : { label: saved.label }),
    spec: saved.spec,
    result: saved.result,
    ...(saved.merged_from === undefined ? {} : { merged_from: saved.merged_from }),
  };
  return JSON.stringify(document, null, 2) + "\n";
}

/** The name a result goes by in a chart or table: its label, else its file name. */
export function displayName(named: NamedResult): string {
  return named.saved.label ?? named.file.replace(/\.json$/, "");
}

type Fail = (what: string) => RuntimeError;
type Fields = Record<string, unknown>;

function object(value: unknown, what: string, fail: Fail): Fields {
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    throw fail(`${what} is ${value === undefined ? "missing" : "not an object"}`);
  }
  return value as Fields;
}

/** Typed reads of one key, each failure naming the key (`"result.messages" is missing`). */
class Reader {
  constructor(private fail: Fail) {}

  #value(fields: Fields, where: string, key: string, expected: string): unknown {
    const value = fields[key];
    if (value === undefined) throw this.fail(`"${where}.${key}" is missing`);
    return value === null && !expected.includes("null") ? this.#wrong(where, key, expected) : value;
  }

  #wrong(where: string, key: string, expected: string): never {
    throw this.fail(`"${where}.${key}" is not ${expected}`);
  }

  number(fields: Fields, where: string, key: string): number {
    const value = this.#value(fields, where, key, "a number");
    if (typeof value !== "number" || !Number.isFinite(value) || value < 0) {
      this.#wrong(where, key, "a number (0 or more)");
    }
    return value;
  }

  numberOrNull(fields: Fields, where: string, key: string): number | null {
    const value = this.#value(fields, where, key, "a number or null");
    return value === null ? null : this.number(fields, where, key);
  }

  string(fields: Fields, where: string, key: string): string {
    const value = this.#value(fields, where, key, "a string");
    return typeof value === "string" ? value : this.#wrong(where, key, "a string");
  }

  boolean(fields: Fields, where: string, key: string): boolean {
    const value = this.#value(fields, where, key, "true or false");
    return typeof value === "boolean" ? value : this.#wrong(where, key, "true or false");
  }

  strings(fields: Fields, where: string, key: string): string[] {
    const value = this.#value(fields, where, key, "a list of strings");
    if (!Array.isArray(value) || value.some((v) => typeof v !== "string")) {
      this.#wrong(where, key, "a list of strings");
    }
    return value as string[];
  }

  counts(fields: Fields, where: string, key: string): Record<string, number> {
    const value = this.#value(fields, where, key, "an object of counts");
    if (typeof value !== "object" || value === null || Array.isArray(value)) {
      this.#wrong(where, key, "an object of counts");
    }
    const counts: Record<string, number> = {};
    for (const name of Object.keys(value)) {
      counts[name] = this.number(value as Fields, `${where}.${key}`, name);
    }
    return counts;
  }

  latency(fields: Fields, where: string, key: string): SavedLatency | null {
    const value = this.#value(fields, where, key, "a latency summary or null");
    if (value === null) return null;
    if (typeof value !== "object" || Array.isArray(value)) {
      this.#wrong(where, key, "a latency summary or null");
    }
    const at = `${where}.${key}`;
    const summary = value as Fields;
    return {
      min: this.number(summary, at, "min"),
      p50: this.number(summary, at, "p50"),
      p90: this.number(summary, at, "p90"),
      p99: this.number(summary, at, "p99"),
      p999: this.number(summary, at, "p999"),
      max: this.number(summary, at, "max"),
      mean: this.number(summary, at, "mean"),
    };
  }

  clientCpu(fields: Fields, where: string, key: string): SavedClientCpu | null {
    const value = this.#value(fields, where, key, "a CPU summary or null");
    if (value === null) return null;
    if (typeof value !== "object" || Array.isArray(value)) {
      this.#wrong(where, key, "a CPU summary or null");
    }
    const at = `${where}.${key}`;
    const cpu = value as Fields;
    return {
      user_ms: this.number(cpu, at, "user_ms"),
      system_ms: this.number(cpu, at, "system_ms"),
      wall_ms: this.number(cpu, at, "wall_ms"),
      cores: this.number(cpu, at, "cores"),
      busy_percent: this.number(cpu, at, "busy_percent"),
      saturated: this.boolean(cpu, at, "saturated"),
    };
  }

  /** An encoded HdrHistogram that decodes. */
  histogram(fields: Fields, where: string, key: string): string {
    const value = this.string(fields, where, key);
    try {
      LatencyHistogram.decode(value);
    } catch {
      this.#wrong(where, key, "an HdrHistogram (compressed base64)");
    }
    return value;
  }
}
