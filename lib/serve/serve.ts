/**
 * `tcpkit serve`: binds, serves on one thread or on N Workers sharing the port
 * (reusePort), and returns the summary once stopped and drained.
 */

import { formatAddress, formatNetAddr } from "../common/address.ts";
import type { ServeOptions } from "./options.ts";
import { RuntimeError } from "../common/errors.ts";
import { connectionBudget, readOpenFileLimit } from "../common/fd_limit.ts";
import { ServeCounters } from "./counters.ts";
import { type LogEvent, renderLogEvent, type ServeSummary } from "./log.ts";
import { bindListener, runServer, type ServerContext } from "./server.ts";
import { dumpWriter, forwardConfig } from "./forward.ts";
import { writeStderrLine } from "../common/stderr.ts";
import { ServeWorkerHandle } from "./worker_handle.ts";
import type { TlsServerCredentials } from "../tls/credentials.ts";
import { listeningTls, loadForwardTls, loadTls } from "./tls.ts";

/** How serve is driven from outside. */
export interface ServeControl {
  /** Receives every log event. */
  log: (event: LogEvent) => void;
  /** Aborted to stop accepting and drain (SIGINT/SIGTERM). */
  stop: AbortSignal;
  /** Aborted to end the drain at once. */
  force?: AbortSignal;
}

/** A logger that renders events to stderr, dropping per-connection lines when quiet. */
export function stderrLogger(format: "text" | "json", quiet: boolean): (e: LogEvent) => void {
  return (event) => {
    if (quiet && (event.event === "open" || event.event === "close" || event.event === "refused")) {
      return;
    }
    writeStderrLine(renderLogEvent(event, format, new Date()));
  };
}

/** The connection limit in force: the user's, capped by what the open-file limit allows. */
export async function effectiveMaxConns(
  requested: number | undefined,
  log: (e: LogEvent) => void,
  fdsPerConn = 1,
): Promise<number> {
  const fdLimit = await readOpenFileLimit();
  const budget = fdLimit === undefined
    ? undefined
    : Math.max(1, Math.floor(connectionBudget(fdLimit) / fdsPerConn));
  if (requested === undefined) return budget ?? 1000;
  if (budget !== undefined && requested > budget) {
    log({
      event: "warning",
      message: `--max-conns ${requested} exceeds what the open-file limit (${fdLimit}) allows; ` +
        `using ${budget} (raise it with ulimit -n)`,
    });
    return budget;
  }
  return requested;
}

/** Runs the server until `control.stop` and returns its summary. */
export async function serve(options: ServeOptions, control: ServeControl): Promise<ServeSummary> {
  const startMs = performance.now();
  const counters = new ServeCounters();
  // A relayed connection holds two descriptors: the client's and the upstream's.
  const fdsPerConn = options.forward ? 2 : 1;
  const maxConns = await effectiveMaxConns(options.maxConns, control.log, fdsPerConn);
  const warn = (message: string) => control.log({ event: "warning", message });
  const relay = options.forward;
  const forwardTls = relay?.tls && await loadForwardTls(relay.tls);
  if (relay?.tls?.insecure) {
    warn(
      `not verifying ${formatAddress(relay.target)} (--forward-insecure): anyone on the way ` +
        "can read and change what is relayed",
    );
  }
  const ctx: ServerContext = {
    mode: options.mode,
    maxConns,
    idleTimeoutMs: options.idleTimeoutMs,
    drainTimeoutMs: options.drainTimeoutMs,
    access: options.access,
    counters,
    forward: relay &&
      forwardConfig(relay, relay.dump && dumpWriter(relay.dump, warn), forwardTls),
    ...control,
  };
  const upstream = options.forward && formatAddress(options.forward.target);
  const tls = options.tls && await loadTls(options.tls, warn);
  // One shutdown event for the whole server, however many Workers drain.
  const stopping = () =>
    control.log({ event: "shutdown", open: counters.active, drainTimeoutMs: ctx.drainTimeoutMs });
  const listening = async (address: string) => {
    control.log({
      event: "listening",
      address,
      mode: options.mode,
      maxConns,
      workers: options.workers,
      upstream,
      tls: tls && await listeningTls(address, tls),
    });
    if (control.stop.aborted) stopping();
    else control.stop.addEventListener("abort", stopping, { once: true });
  };
  try {
    if (options.workers === 1) {
      const listener = await bindListener(options.address, { unixMode: options.unixMode, tls });
      await listening(formatNetAddr(listener.addr, options.address));
      await runServer(listener, ctx);
    } else {
      await serveOnWorkers(options, ctx, listening, tls);
    }
  } finally {
    control.stop.removeEventListener("abort", stopping);
  }
  return { ...counters.snapshot(), durationMs: performance.now() - startMs, upstream };
}

async function serveOnWorkers(
  options: ServeOptions,
  ctx: ServerContext,
  listening: (address: string) => Promise<void>,
  tls: TlsServerCredentials | undefined,
) {
  const address = options.address;
  if (address.transport !== "tcp") throw new RuntimeError("--workers needs a TCP address");
  const workers: ServeWorkerHandle[] = [];
  const start = (port: number) =>
    ServeWorkerHandle.start({
      options: { ...options, address: { ...address, port } },
      maxConns: ctx.maxConns,
      counters: ctx.counters.buffer,
      log: ctx.log,
      dump: ctx.forward?.dump,
      tls,
      forwardTls: ctx.forward?.tls,
    });
  try {
    // The first Worker binds (resolving port 0); the rest join it on the same port.
    const first = await start(address.port);
    workers.push(first);
    for (let i = 1; i < options.workers; i++) workers.push(await start(first.port));
    await listening(formatAddress({ ...address, port: first.port }));
    const stop = () => workers.forEach((w) => w.stop());
    const force = () => workers.forEach((w) => w.force());
    if (ctx.stop.aborted) stop();
    ctx.stop.addEventListener("abort", stop, { once: true });
    ctx.force?.addEventListener("abort", force, { once: true });
    await Promise.all(workers.map((w) => w.done));
  } finally {
    workers.forEach((w) => w.terminate());
  }
}
