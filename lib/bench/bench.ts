/**
 * `tcpkit bench`: orchestrates a benchmark run. Refuses more connections than the
 * open-file limit allows, starts the embedded echo (or discard) server in a Worker when
 * no ADDRESS is given, spreads the connections over client Workers (worker.ts, each
 * running client.ts; with `--rate`, one more runs the open-loop clock), drives the phases
 * (warmup, measure, stop) through a shared cell, has the intervals printed (progress.ts),
 * merges the Workers' results and histograms, measures the client's own CPU, and writes
 * the report (text or JSON) on stdout. SIGINT and SIGTERM end the run early, still with
 * its results. With `--json`, a run that fails still prints one document.
 */

import { colorFor } from "../common/format.ts";
import { type Address, formatAddress } from "../common/address.ts";
import { benchOpenFiles, readOpenFileLimit } from "../common/fd_limit.ts";
import type { ClientReport, IntervalReport, ThreadCpu } from "./client.ts";
import { clockBuffer, stopClock } from "./clock.ts";
import { type ClientPlan, MEASURE, STOP, WARMUP } from "./strategy.ts";
import { addCpu, Progress } from "./progress.ts";
import {
  type BenchResult,
  type BenchSpec,
  type ClientCpu,
  type ErrorKind,
  isClean,
  renderJson,
  renderText,
  saturationWarning,
} from "./report.ts";
import { LatencyHistogram } from "./stats.ts";
import type { BenchWorkerReply, BenchWorkerRequest } from "./worker.ts";
import type { BenchOptions } from "./options.ts";
import type { ServeOptions } from "../serve/options.ts";
import { RuntimeError } from "../common/errors.ts";
import { writeAll } from "../common/io.ts";
import { waitSettled } from "../common/time.ts";
import { ServeCounters } from "../serve/counters.ts";
import { ServeWorkerHandle } from "../serve/worker_handle.ts";
import { writeStderrLine } from "../common/stderr.ts";
import { checkOutputPath, writeRunPlot } from "./artifacts.ts";
import type { TlsClientMaterial } from "../tls/client.ts";
import type { TlsServerCredentials } from "../tls/credentials.ts";
import { type BenchTls, embeddedCredentials, settleBenchTls } from "./tls.ts";

/** How long the embedded server may take to finish once asked to stop. */
const SERVER_STOP_MS = 2000;

/**
 * Exit codes of a run ended by a signal: the shell's 128 + signal number, so that
 * `timeout 10 tcpkit bench` (SIGTERM) and Ctrl-C (SIGINT) read as what they were.
 */
const SIGNAL_EXIT: Record<"SIGINT" | "SIGTERM", number> = { SIGINT: 130, SIGTERM: 143 };

/** A failed run, with what it counted before failing (for `--json`). */
class BenchFailure extends RuntimeError {
  constructor(message: string, readonly result: BenchResult) {
    super(message);
  }
}

/**
 * Runs the benchmark, writes its report on stdout; resolves to the exit code.
 * `serverDefaults` are `serve`'s defaults, the base of the embedded server's options.
 */
export async function runBench(
  options: BenchOptions,
  serverDefaults: ServeOptions,
): Promise<number> {
  if (options.svg !== undefined) await checkOutputPath(options.svg, "--svg");
  const interrupt = new AbortController();
  let endedBy: keyof typeof SIGNAL_EXIT | undefined;
  const workers: ClientWorker[] = [];
  const listeners = (["SIGINT", "SIGTERM"] as const)
    .filter((signal) => signal === "SIGINT" || Deno.build.os !== "windows")
    .map((signal) => {
      const listener = () => {
        // The first signal ends the run with results; a second closes every connection.
        if (endedBy === undefined) {
          endedBy = signal;
          interrupt.abort();
        } else workers.forEach((w) => w.post({ type: "abort" }));
      };
      Deno.addSignalListener(signal, listener);
      return () => Deno.removeSignalListener(signal, listener);
    });
  const embedded = options.address === undefined;
  const local = embedded || isLocal(options.address!);
  const cores = navigator.hardwareConcurrency || 1;
  const workerCount = Math.min(
    options.connections,
    options.workers ?? (local ? Math.max(1, cores - 1) : cores),
  );
  const spec: BenchSpec = {
    // The embedded server's port is known once it listens.
    target: embedded ? "127.0.0.1:0" : formatAddress(options.address!),
    embeddedServer: embedded,
    mode: options.mode,
    connections: options.connections,
    sizeBytes: options.sizeBytes,
    durationMs: options.count === undefined ? options.durationMs : undefined,
    count: options.count,
    pipeline: options.pipeline,
    warmupMs: options.warmupMs,
    rate: options.rate,
    workers: workerCount,
    timeoutMs: options.timeoutMs,
  };
  let server: ServeWorkerHandle | undefined;
  let clock: Clock | undefined;
  let result: BenchResult;
  try {
    try {
      await checkOpenFiles(options, workerCount, embedded);
      // With --tls, the embedded server serves a fresh certificate (lib/tls, loaded only then).
      const credentials = options.tls && embedded ? await embeddedCredentials() : undefined;
      if (embedded) {
        server = await startEmbeddedServer(
          serverDefaults,
          options.mode === "stream" ? "discard" : "echo",
          credentials,
        );
      }
      const address: Address = options.address ??
        { transport: "tcp", hostname: "127.0.0.1", port: server!.port };
      spec.target = formatAddress(address);
      let tls: { material: TlsClientMaterial; tls: BenchTls } | undefined;
      if (options.tls) {
        const settled = await settleBenchTls(options.tls, address, options.timeoutMs, credentials);
        if (settled.warning) writeStderrLine(settled.warning);
        tls = settled;
        spec.tls = settled.tls;
      }
      if (options.rate !== undefined) clock = startClock(workerCount);
      result = await measure(
        options,
        address,
        { count: workerCount, cores: Math.min(workerCount, cores), clock },
        workers,
        interrupt.signal,
        tls?.material,
      );
    } catch (error) {
      if (options.json && !(error instanceof Deno.errors.BrokenPipe)) {
        // One document whatever happened: what was counted, and why it stopped.
        const partial = error instanceof BenchFailure ? error.result : merge([], 0, undefined);
        const message = error instanceof Error ? error.message : String(error);
        await writeAll(Deno.stdout, new TextEncoder().encode(renderJson(spec, partial, message)));
      }
      throw error;
    }
  } finally {
    listeners.forEach((remove) => remove());
    workers.forEach((w) => w.terminate());
    if (clock) {
      stopClock(clock.buffer);
      clock.worker.terminate();
    }
    await server?.close(SERVER_STOP_MS);
  }
  const warning = saturationWarning(result);
  if (warning !== undefined) writeStderrLine(warning);
  const report = options.json
    ? renderJson(spec, result)
    : renderText(spec, result, colorFor(Deno.stdout));
  await writeAll(Deno.stdout, new TextEncoder().encode(report));
  if (options.svg !== undefined) await writeRunPlot(options.svg, spec, result);
  // A signal still prints the results so far, then exits as a command ended by it does.
  if (endedBy !== undefined) return SIGNAL_EXIT[endedBy];
  return isClean(result) ? 0 : 1;
}

/**
 * Refuses up front a run that would run out of file descriptors halfway (every
 * connection past the limit would fail to connect). Only this process's descriptors
 * count: both ends of each connection when the server is embedded (it is in this
 * process), one end otherwise, even on loopback (the server's end is its own process's).
 */
async function checkOpenFiles(options: BenchOptions, workers: number, embedded: boolean) {
  const limit = await readOpenFileLimit();
  if (limit === undefined) return;
  const threads = workers + (embedded ? 1 : 0) + (options.rate !== undefined ? 1 : 0);
  const need = benchOpenFiles(options.connections, embedded, threads);
  if (need <= limit) return;
  const why = embedded ? " (2 per connection: the embedded server's end is in this process)" : "";
  throw new RuntimeError(
    `-c ${options.connections} needs about ${need} open files${why}, more than the ` +
      `open-file limit of ${limit}: raise it (ulimit -n ${need}) or lower -c`,
  );
}

/** The client Workers to start. */
interface WorkerSetup {
  count: number;
  /** Cores they can use: the `cpu` share is of these. */
  cores: number;
  /** The open-loop clock; undefined for a closed loop. */
  clock: Clock | undefined;
}

async function measure(
  options: BenchOptions,
  address: Address,
  setup: WorkerSetup,
  workers: ClientWorker[],
  interrupted: AbortSignal,
  tls: TlsClientMaterial | undefined,
): Promise<BenchResult> {
  const phaseBuffer = new SharedArrayBuffer(4);
  const phase = new Int32Array(phaseBuffer);
  const perWorker = split(options.connections, setup.count);
  const quotas = options.count === undefined
    ? undefined
    : split(options.count, options.connections);
  let first = 0;
  for (const [index, connections] of perWorker.entries()) {
    const plan: ClientPlan = {
      mode: options.mode,
      address,
      sizeBytes: options.sizeBytes,
      pipeline: options.pipeline,
      timeoutMs: options.timeoutMs,
      firstConnection: first,
      connections,
      totalConnections: options.connections,
      quotas: quotas?.slice(first, first + connections),
      ratePerConnection: options.rate === undefined
        ? undefined
        : options.rate / options.connections,
      clock: setup.clock?.buffer,
      clockIndex: index,
      phase: phaseBuffer,
    };
    if (tls) plan.tls = tls;
    workers.push(new ClientWorker(plan));
    first += connections;
  }
  const failed = Promise.race([...workers.map((w) => w.failed), setup.clock?.failed ?? never]);
  failed.catch(() => {}); // awaited below, where it matters
  const ready = await Promise.all(workers.map((w) => w.ready));
  const connected = ready.reduce((a, r) => a + r.connected, 0);
  if (options.mode !== "connect" && connected === 0) {
    const why = ready.find((r) => r.firstError)?.firstError?.replace(/^connection \d+: /, "");
    throw new BenchFailure(
      `cannot benchmark "${formatAddress(address)}": ${why ?? "no connection"}`,
      merge(ready.map((r) => r.report), 0, undefined),
    );
  }

  const absNow = () => performance.timeOrigin + performance.now();
  const results = Promise.all(workers.map((w) => w.result));
  const finished = Promise.race([results, failed]).then(() => {});
  finished.catch(() => {});
  const progress = new Progress(workers, {
    intervalMs: options.intervalMs,
    quiet: options.quiet,
    mode: options.mode,
    tls: options.tls !== undefined,
    sizeBytes: options.sizeBytes,
    cores: setup.cores,
    print: writeStderrLine,
  });
  const warmup = options.warmupMs > 0;
  Atomics.store(phase, 0, warmup ? WARMUP : MEASURE);
  const startMs = absNow();
  let measureStart = startMs;
  const cpuReady = ready.map((r) => r.cpu).reduce(addCpu, { userUs: 0, systemUs: 0 });
  let cpuAtStart: Promise<ThreadCpu> = Promise.resolve(cpuReady);
  progress.start(startMs, warmup, cpuReady);
  workers.forEach((w) => w.post({ type: "go", startMs }));
  try {
    if (warmup) {
      progress.expectCut(startMs + options.warmupMs);
      await waitSettled(finished, options.warmupMs, interrupted);
      Atomics.store(phase, 0, MEASURE);
      measureStart = absNow();
      cpuAtStart = progress.cut(measureStart);
    }
    let measureEnd: number | undefined;
    if (interrupted.aborted) {
      measureEnd = absNow();
    } else if (options.count === undefined) {
      progress.expectCut(measureStart + options.durationMs);
      await waitSettled(finished, options.durationMs, interrupted);
      measureEnd = absNow();
    } else {
      await waitSettled(finished, Infinity, interrupted);
      if (interrupted.aborted) measureEnd = absNow();
    }
    Atomics.store(phase, 0, STOP);
    const stopMs = absNow();
    const cpuAtEnd = progress.cut(stopMs);
    workers.forEach((w) => w.post({ type: "stop" }));
    const reports = await Promise.race([results, failed]);
    const [cpuStart, cpuEnd] = await Promise.race([Promise.all([cpuAtStart, cpuAtEnd]), failed]);
    if (measureEnd === undefined) {
      const last = Math.max(...reports.map((r) => r.lastCompletionMs));
      measureEnd = last > measureStart ? last : absNow();
    }
    const clientCpu: ClientCpu = {
      userMs: (cpuEnd.userUs - cpuStart.userUs) / 1000,
      systemMs: (cpuEnd.systemUs - cpuStart.systemUs) / 1000,
      wallMs: stopMs - measureStart,
      cores: setup.cores,
    };
    return merge(reports, Math.max(0, measureEnd - measureStart), clientCpu);
  } finally {
    progress.stop();
  }
}

/**
 * Whether the server runs on this machine (embedded, loopback or unix socket), so it
 * needs a core of its own and the client leaves one free.
 */
export function isLocal(address: Address): boolean {
  if (address.transport === "unix") return true;
  const host = address.hostname.toLowerCase();
  return host === "localhost" || host === "::1" || host.startsWith("127.");
}

/** Splits `total` into `parts` near-equal whole shares. */
export function split(total: number, parts: number): number[] {
  const base = Math.floor(total / parts);
  const extra = total - base * parts;
  return Array.from({ length: parts }, (_, i) => base + (i < extra ? 1 : 0));
}

function merge(
  reports: ClientReport[],
  durationMs: number,
  clientCpu: ClientCpu | undefined,
): BenchResult {
  const latency = new LatencyHistogram();
  const connectLatency = new LatencyHistogram();
  const errors: Record<ErrorKind, number> = { connect: 0, closed: 0, reset: 0, stall: 0, other: 0 };
  const result = {
    messages: 0,
    durationMs,
    bytesSent: 0,
    bytesReceived: 0,
    connections: 0,
    mismatches: 0,
    errors,
    errorSamples: [] as string[],
  };
  for (const r of reports) {
    result.messages += r.messages;
    result.bytesSent += r.bytesSent;
    result.bytesReceived += r.bytesReceived;
    result.connections += r.connections;
    result.mismatches += r.mismatches;
    for (const kind of Object.keys(errors) as ErrorKind[]) errors[kind] += r.errors[kind];
    result.errorSamples.push(...r.errorSamples);
    latency.merge(LatencyHistogram.decode(r.latency));
    connectLatency.merge(LatencyHistogram.decode(r.connectLatency));
  }
  result.errorSamples = result.errorSamples.slice(0, 5);
  return {
    ...result,
    latency: latency.summary(),
    latencyBins: latency.bins(),
    connectLatency: connectLatency.summary(),
    latencyHistogram: latency.encode(),
    connectLatencyHistogram: connectLatency.encode(),
    clientCpu,
  };
}

type ReadyReply = Extract<BenchWorkerReply, { type: "ready" }>;

/** One client Worker and the replies it owes. */
class ClientWorker {
  readonly #worker: Worker;
  readonly ready: Promise<ReadyReply>;
  readonly result: Promise<ClientReport>;
  /** Rejects if the Worker fails; never resolves. */
  readonly failed: Promise<never>;
  onInterval: (reply: { seq: number; interval: IntervalReport }) => void = () => {};

  constructor(plan: ClientPlan) {
    this.#worker = new Worker(new URL("./worker.ts", import.meta.url), { type: "module" });
    let resolveReady!: (r: ReadyReply) => void;
    let resolveResult!: (r: ClientReport) => void;
    let reject!: (e: Error) => void;
    this.failed = new Promise<never>((_, r) => reject = r);
    this.failed.catch(() => {});
    this.ready = Promise.race([new Promise<ReadyReply>((r) => resolveReady = r), this.failed]);
    this.result = Promise.race([new Promise<ClientReport>((r) => resolveResult = r), this.failed]);
    this.result.catch(() => {});
    this.#worker.onerror = (event) => {
      event.preventDefault();
      reject(new RuntimeError(`bench worker failed: ${event.message}`));
    };
    this.#worker.onmessage = (event: MessageEvent<BenchWorkerReply>) => {
      const reply = event.data;
      if (reply.type === "ready") resolveReady(reply);
      else if (reply.type === "result") resolveResult(reply.report);
      else this.onInterval(reply);
    };
    this.post({ type: "start", plan });
  }

  post(message: BenchWorkerRequest) {
    this.#worker.postMessage(message);
  }

  terminate() {
    this.#worker.terminate();
  }
}

const never = new Promise<never>(() => {});

/** The open-loop clock (clock.ts) on a thread of its own. */
interface Clock {
  buffer: SharedArrayBuffer;
  worker: Worker;
  /** Rejects if the clock's Worker fails; never resolves. */
  failed: Promise<never>;
}

function startClock(workers: number): Clock {
  const buffer = clockBuffer(workers);
  const worker = new Worker(new URL("./worker.ts", import.meta.url), { type: "module" });
  let reject!: (e: Error) => void;
  const failed = new Promise<never>((_, r) => reject = r);
  failed.catch(() => {});
  worker.onerror = (event) => {
    event.preventDefault();
    reject(new RuntimeError(`bench clock failed: ${event.message}`));
  };
  worker.postMessage({ type: "clock", buffer } satisfies BenchWorkerRequest);
  return { buffer, worker, failed };
}

/** The embedded echo (or discard) server: tcpkit's own server loop in a Worker. */
async function startEmbeddedServer(
  defaults: ServeOptions,
  mode: "echo" | "discard",
  tls: TlsServerCredentials | undefined,
): Promise<ServeWorkerHandle> {
  try {
    // Per-connection log events are not the benchmark's business: no `log`.
    return await ServeWorkerHandle.start({
      options: {
        ...defaults,
        address: { transport: "tcp", hostname: "127.0.0.1", port: 0 },
        mode,
        drainTimeoutMs: SERVER_STOP_MS / 2,
        quiet: true,
      },
      maxConns: 1_000_000,
      counters: new ServeCounters().buffer,
      tls,
    });
  } catch (error) {
    throw new RuntimeError(`embedded server: ${(error as Error).message}`);
  }
}
