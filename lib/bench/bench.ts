/**
 * `tcpkit bench`: orchestrates a benchmark run. Starts the embedded echo server in a
 * Worker when no ADDRESS is given, spreads the connections over client Workers
 * (worker.ts, each running client.ts), drives the phases (warmup, measure, stop) through a shared
 * cell, prints one progress line per interval on stderr, merges the Workers' results
 * and histograms, and writes the report (text or JSON) on stdout.
 */

import { colorFor } from "../common/format.ts";
import { type Address, formatAddress } from "../common/address.ts";
import type { ClientReport } from "./client.ts";
import { type ClientPlan, MEASURE, STOP, WARMUP } from "./strategy.ts";
import {
  type BenchResult,
  type BenchSpec,
  type ErrorKind,
  isClean,
  renderJson,
  renderProgress,
  renderText,
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
import type { TlsClientMaterial } from "../tls/client.ts";
import type { TlsServerCredentials } from "../tls/credentials.ts";
import { type BenchTls, embeddedCredentials, settleBenchTls } from "./tls.ts";

/** How long the embedded server may take to finish once asked to stop. */
const SERVER_STOP_MS = 2000;

/**
 * Runs the benchmark, writes its report on stdout; resolves to the exit code.
 * `serverDefaults` are `serve`'s defaults, the base of the embedded server's options.
 */
export async function runBench(
  options: BenchOptions,
  serverDefaults: ServeOptions,
): Promise<number> {
  const interrupt = new AbortController();
  let interrupts = 0;
  const workers: ClientWorker[] = [];
  const onSignal = () => {
    interrupts++;
    if (interrupts === 1) interrupt.abort();
    else workers.forEach((w) => w.post({ type: "abort" }));
  };
  Deno.addSignalListener("SIGINT", onSignal);
  let server: ServeWorkerHandle | undefined;
  let spec: BenchSpec;
  let result: BenchResult;
  try {
    // With --tls, the embedded server serves a fresh certificate (lib/tls, loaded only then).
    const credentials = options.tls && options.address === undefined
      ? await embeddedCredentials()
      : undefined;
    if (options.address === undefined) {
      server = await startEmbeddedServer(
        serverDefaults,
        options.mode === "stream" ? "discard" : "echo",
        credentials,
      );
    }
    const address: Address = options.address ??
      { transport: "tcp", hostname: "127.0.0.1", port: server!.port };
    let tls: { material: TlsClientMaterial; tls: BenchTls } | undefined;
    if (options.tls) {
      const settled = await settleBenchTls(options.tls, address, options.timeoutMs, credentials);
      if (settled.warning) writeStderrLine(settled.warning);
      tls = settled;
    }
    const cores = navigator.hardwareConcurrency || 1;
    const workerCount = Math.min(
      options.connections,
      options.workers ?? (isLocal(address) ? Math.max(1, cores - 1) : cores),
    );
    spec = {
      target: formatAddress(address),
      embeddedServer: server !== undefined,
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
    if (tls) spec.tls = tls.tls;
    result = await measure(options, address, workerCount, workers, interrupt.signal, tls?.material);
  } finally {
    Deno.removeSignalListener("SIGINT", onSignal);
    workers.forEach((w) => w.terminate());
    await server?.close(SERVER_STOP_MS);
  }
  const report = options.json
    ? renderJson(spec, result)
    : renderText(spec, result, colorFor(Deno.stdout));
  await writeAll(Deno.stdout, new TextEncoder().encode(report));
  // Ctrl-C still prints the results so far, then exits as an interrupted command does.
  if (interrupt.signal.aborted) return 130;
  return isClean(result) ? 0 : 1;
}

async function measure(
  options: BenchOptions,
  address: Address,
  workerCount: number,
  workers: ClientWorker[],
  interrupted: AbortSignal,
  tls: TlsClientMaterial | undefined,
): Promise<BenchResult> {
  const phaseBuffer = new SharedArrayBuffer(4);
  const phase = new Int32Array(phaseBuffer);
  const perWorker = split(options.connections, workerCount);
  const quotas = options.count === undefined
    ? undefined
    : split(options.count, options.connections);
  let first = 0;
  for (const connections of perWorker) {
    const plan: ClientPlan = {
      mode: options.mode,
      address,
      sizeBytes: options.sizeBytes,
      pipeline: options.pipeline,
      timeoutMs: options.timeoutMs,
      firstConnection: first,
      connections,
      quotas: quotas?.slice(first, first + connections),
      ratePerConnection: options.rate === undefined
        ? undefined
        : options.rate / options.connections,
      phase: phaseBuffer,
    };
    if (tls) plan.tls = tls;
    workers.push(new ClientWorker(plan));
    first += connections;
  }
  const ready = await Promise.all(workers.map((w) => w.ready));
  const connected = ready.reduce((a, r) => a + r.connected, 0);
  if (options.mode !== "connect" && connected === 0) {
    const why = ready.find((r) => r.firstError)?.firstError?.replace(/^connection \d+: /, "");
    throw new RuntimeError(
      `cannot benchmark "${formatAddress(address)}": ${why ?? "no connection"}`,
    );
  }

  const absNow = () => performance.timeOrigin + performance.now();
  const results = Promise.all(workers.map((w) => w.result));
  const finished = results.then(() => {});
  const progress = new Progress(workers, options.intervalMs, () => phase[0] === WARMUP);
  Atomics.store(phase, 0, options.warmupMs > 0 ? WARMUP : MEASURE);
  let measureStart = absNow();
  workers.forEach((w) => w.post({ type: "go" }));
  progress.start();
  try {
    if (options.warmupMs > 0) {
      await waitSettled(finished, options.warmupMs, interrupted);
      Atomics.store(phase, 0, MEASURE);
      measureStart = absNow();
    }
    let measureEnd: number | undefined;
    if (options.count === undefined) {
      await waitSettled(finished, options.durationMs, interrupted);
      measureEnd = absNow();
    } else {
      await waitSettled(finished, Infinity, interrupted);
      if (interrupted.aborted) measureEnd = absNow();
    }
    Atomics.store(phase, 0, STOP);
    workers.forEach((w) => w.post({ type: "stop" }));
    const reports = await results;
    if (measureEnd === undefined) {
      const last = Math.max(...reports.map((r) => r.lastCompletionMs));
      measureEnd = last > measureStart ? last : absNow();
    }
    return merge(reports, Math.max(0, measureEnd - measureStart));
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

function merge(reports: ClientReport[], durationMs: number): BenchResult {
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
  };
}

/** One client Worker and the replies it owes. */
class ClientWorker {
  readonly #worker: Worker;
  readonly ready: Promise<{ connected: number; firstError: string | undefined }>;
  readonly result: Promise<ClientReport>;
  onInterval: (reply: Extract<BenchWorkerReply, { type: "interval" }>) => void = () => {};

  constructor(plan: ClientPlan) {
    this.#worker = new Worker(new URL("./worker.ts", import.meta.url), { type: "module" });
    let resolveReady!: (r: { connected: number; firstError: string | undefined }) => void;
    let resolveResult!: (r: ClientReport) => void;
    let reject!: (e: Error) => void;
    const failed = new Promise<never>((_, r) => reject = r);
    failed.catch(() => {});
    this.ready = Promise.race([
      new Promise<{ connected: number; firstError: string | undefined }>((r) => resolveReady = r),
      failed,
    ]);
    this.result = Promise.race([new Promise<ClientReport>((r) => resolveResult = r), failed]);
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

/** Asks the Workers for their interval counters and prints one line per interval. */
class Progress {
  #timer: ReturnType<typeof setInterval> | undefined;
  #seq = 0;
  #startMs = 0;
  #lastMs = 0;
  #pending = new Map<
    number,
    {
      replies: number;
      messages: number;
      bytes: number;
      latency: LatencyHistogram;
      durationMs: number;
      elapsedS: number;
      warmup: boolean;
    }
  >();

  constructor(
    private workers: ClientWorker[],
    private intervalMs: number,
    private inWarmup: () => boolean,
  ) {
    for (const w of workers) w.onInterval = (reply) => this.#collect(reply);
  }

  start() {
    this.#startMs = this.#lastMs = performance.now();
    this.#timer = setInterval(() => this.#tick(), this.intervalMs);
  }

  stop() {
    clearInterval(this.#timer);
    for (const w of this.workers) w.onInterval = () => {};
  }

  #tick() {
    const now = performance.now();
    const seq = ++this.#seq;
    this.#pending.set(seq, {
      replies: 0,
      messages: 0,
      bytes: 0,
      latency: new LatencyHistogram(),
      durationMs: now - this.#lastMs,
      elapsedS: (now - this.#startMs) / 1000,
      warmup: this.inWarmup(),
    });
    this.#lastMs = now;
    this.workers.forEach((w) => w.post({ type: "tick", seq }));
  }

  #collect(reply: Extract<BenchWorkerReply, { type: "interval" }>) {
    const entry = this.#pending.get(reply.seq);
    if (!entry) return;
    entry.replies++;
    entry.messages += reply.interval.messages;
    entry.bytes += reply.interval.bytes;
    entry.latency.merge(LatencyHistogram.decode(reply.interval.latency));
    if (entry.replies < this.workers.length) return;
    this.#pending.delete(reply.seq);
    writeStderrLine(renderProgress({
      elapsedS: entry.elapsedS,
      durationMs: entry.durationMs,
      messages: entry.messages,
      bytes: entry.bytes,
      p99Us: entry.latency.count > 0 ? entry.latency.percentile(99) : undefined,
      warmup: entry.warmup,
    }));
  }
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
