/**
 * Worker entry for `serve --workers N` and bench's embedded server: binds the port
 * (with reusePort, so Workers share it) and runs one server loop. Log events go back
 * to the main thread, which owns stderr. Driven through `ServeWorkerHandle`
 * (worker_handle.ts).
 */

import type { ServeOptions } from "./options.ts";
import { ServeCounters } from "./counters.ts";
import type { LogEvent } from "./log.ts";
import { bindListener, runServer } from "./server.ts";
import { forwardConfig } from "./forward.ts";
import type { TlsServerCredentials } from "../tls/credentials.ts";
import type { TlsClientMaterial } from "../tls/client.ts";

/** Main thread → Worker: start serving. */
export interface WorkerStart {
  type: "start";
  options: ServeOptions;
  maxConns: number;
  counters: SharedArrayBuffer;
  /** Whether to send log events to the main thread (the embedded bench server does not). */
  sendLogs: boolean;
  /** With `serve --tls`: the credentials to serve (loaded once, by the main thread). */
  tls?: TlsServerCredentials;
  /** With `serve --forward-tls`: the trust material to dial with (read by the main thread). */
  forwardTls?: TlsClientMaterial;
}

/** Worker → main thread. */
export type WorkerReply =
  | { type: "listening"; port: number }
  | { type: "failed"; message: string }
  | { type: "log"; event: LogEvent }
  | { type: "dump"; text: string }
  | { type: "done" };

type Incoming = WorkerStart | { type: "stop" } | { type: "force" };

const scope = self as unknown as {
  postMessage(message: WorkerReply): void;
  onmessage: ((event: MessageEvent<Incoming>) => void) | null;
  close(): void;
};

const stop = new AbortController();
const force = new AbortController();

scope.onmessage = (event) => {
  const message = event.data;
  if (message.type === "stop") stop.abort();
  else if (message.type === "force") force.abort();
  else start(message);
};

async function start(
  { options, maxConns, counters, sendLogs, tls, forwardTls }: WorkerStart,
) {
  let listener: Deno.Listener;
  try {
    listener = await bindListener(options.address, { reusePort: true, tls });
  } catch (error) {
    scope.postMessage({ type: "failed", message: (error as Error).message });
    return;
  }
  const addr = listener.addr as Deno.NetAddr;
  scope.postMessage({ type: "listening", port: addr.port });
  await runServer(listener, {
    mode: options.mode,
    // --dump text goes to the main thread, which owns stderr and the dump file.
    forward: options.forward &&
      forwardConfig(
        options.forward,
        (text) => scope.postMessage({ type: "dump", text }),
        forwardTls,
      ),
    maxConns,
    idleTimeoutMs: options.idleTimeoutMs,
    drainTimeoutMs: options.drainTimeoutMs,
    access: options.access,
    counters: new ServeCounters(counters),
    log: sendLogs ? (event) => scope.postMessage({ type: "log", event }) : () => {},
    stop: stop.signal,
    force: force.signal,
  });
  scope.postMessage({ type: "done" });
}
