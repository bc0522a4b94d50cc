/**
 * `tcpkit bench`'s options: their type and how they are built from the parsed command
 * line, with the cross-flag rules that make a combination a usage error. Pure.
 */

import { type Address, addressArgument } from "../common/address.ts";
import { UsageError } from "../common/errors.ts";
import type { FlagValues } from "../common/flag_values.ts";
import { type TlsClientOptions, tlsClientOptions } from "../tls/options.ts";

/** The bench command's typed options. */
export interface BenchOptions {
  /** Echo server to measure; undefined starts an embedded one. */
  address: Address | undefined;
  mode: "echo" | "stream" | "connect";
  connections: number;
  sizeBytes: number;
  durationMs: number;
  /** Stop after exactly this many messages instead of after a duration. */
  count: number | undefined;
  pipeline: number;
  warmupMs: number;
  /** Open loop: messages per second in total; undefined runs a closed loop. */
  rate: number | undefined;
  intervalMs: number;
  /** No progress lines on stderr. */
  quiet: boolean;
  json: boolean;
  /** Client Workers; undefined picks one per core (minus one for a server on this machine). */
  workers: number | undefined;
  /** A message (or connect) that takes longer than this is a stall error. */
  timeoutMs: number;
  /** Where to draw the latency percentile chart at the end; undefined draws none. */
  svg: string | undefined;
  /** Benchmark over TLS (`--tls` and its trust flags); undefined measures plain TCP. */
  tls?: TlsClientOptions;
}

/** Builds `bench`'s options from its flags and arguments. */
export function benchOptions(flags: FlagValues, args: string[]): BenchOptions {
  const options: BenchOptions = {
    address: args[0] === undefined ? undefined : addressArgument(args[0], false),
    mode: flags.choice("mode") as BenchOptions["mode"],
    connections: flags.count("connections")!,
    sizeBytes: flags.size("size") ?? (flags.choice("mode") === "stream" ? 128 * 1024 : 64),
    durationMs: flags.duration("duration")!,
    count: flags.count("count"),
    pipeline: flags.count("pipeline")!,
    warmupMs: flags.duration("warmup")!,
    rate: flags.count("rate"),
    intervalMs: flags.duration("interval")!,
    quiet: flags.bool("quiet"),
    json: flags.bool("json"),
    workers: flags.count("workers"),
    timeoutMs: flags.duration("timeout")!,
    svg: flags.string("svg"),
  };
  const tls = tlsClientOptions(flags);
  if (tls) options.tls = tls;
  if (options.count !== undefined && flags.given("duration")) {
    throw new UsageError("use either --count or --duration, not both");
  }
  if (tls && options.address === undefined) {
    const external = ["ca", "pin", "insecure", "servername", "cert"].find((f) => flags.given(f));
    if (external) {
      throw new UsageError(
        `--${external} is about an external server; the embedded one is trusted by its own certificate`,
      );
    }
  }
  // A flag that is accepted is honoured: a combination that would ignore one is refused.
  if (options.rate !== undefined && options.mode !== "echo") {
    throw new UsageError("--rate applies to --mode echo only");
  }
  if (options.svg !== undefined && options.mode === "stream") {
    throw new UsageError("--svg draws latency, which --mode stream does not measure");
  }
  if (flags.given("pipeline") && options.mode !== "echo") {
    throw new UsageError("--pipeline applies to --mode echo only");
  }
  if (options.workers !== undefined && options.workers > options.connections) {
    throw new UsageError(
      `--workers ${options.workers} is more than the ${options.connections} connection(s) ` +
        "of -c: each Worker needs one",
    );
  }
  if (options.quiet && flags.given("interval")) {
    throw new UsageError("--interval sets how often progress is printed: not with --quiet");
  }
  return options;
}
