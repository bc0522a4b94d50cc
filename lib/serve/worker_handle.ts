/**
 * The main thread's handle on one serve Worker (lib/serve/worker.ts), used by
 * `serve --workers N` and by the server `bench` embeds: start it with options and
 * shared counters, wait for "listening" (or its failure), forward its log events,
 * ask it to stop or to end its drain, and make sure it is gone.
 */

import type { ServeOptions } from "./options.ts";
import type { LogEvent } from "./log.ts";
import { RuntimeError } from "../common/errors.ts";
import { waitSettled } from "../common/time.ts";
import type { WorkerReply, WorkerStart } from "./worker.ts";
import type { TlsServerCredentials } from "../tls/credentials.ts";
import type { TlsClientMaterial } from "../tls/client.ts";

/** What a serve Worker is started with. */
export interface ServeWorkerConfig {
  options: ServeOptions;
  /** The connection limit in force (shared by all Workers through `counters`). */
  maxConns: number;
  /** A {@linkcode ServeCounters} buffer, shared with the main thread. */
  counters: SharedArrayBuffer;
  /** Receives the Worker's log events; without it, the Worker does not send them. */
  log?: (event: LogEvent) => void;
  /** Receives the Worker's `--dump` text (serve --forward --dump). */
  dump?: (text: string) => void;
  /** With `serve --tls`: the credentials every Worker serves. */
  tls?: TlsServerCredentials;
  /** With `serve --forward-tls`: the trust material every Worker dials with. */
  forwardTls?: TlsClientMaterial;
}

/** One running serve Worker. */
export class ServeWorkerHandle {
  /** The port it listens on (port 0 resolved). */
  readonly port: number;
  /** Resolves once the Worker has drained and stopped (or died). */
  readonly done: Promise<void>;
  readonly #worker: Worker;

  private constructor(worker: Worker, port: number, done: Promise<void>) {
    this.#worker = worker;
    this.port = port;
    this.done = done;
  }

  /**
   * Starts a Worker and resolves once it listens. Rejects with a RuntimeError if it
   * cannot listen (the Worker's message, e.g. `cannot listen on "…": address already
   * in use`) or dies; the Worker is terminated then.
   */
  static start(config: ServeWorkerConfig): Promise<ServeWorkerHandle> {
    const worker = new Worker(new URL("./worker.ts", import.meta.url), { type: "module" });
    let resolveDone!: () => void;
    const done = new Promise<void>((resolve) => resolveDone = resolve);
    return new Promise((resolve, reject) => {
      const fail = (message: string) => {
        worker.terminate();
        resolveDone();
        reject(new RuntimeError(message));
      };
      worker.onerror = (event) => {
        event.preventDefault();
        fail(`serve worker failed: ${event.message}`);
      };
      worker.onmessage = (event: MessageEvent<WorkerReply>) => {
        const reply = event.data;
        switch (reply.type) {
          case "listening":
            resolve(new ServeWorkerHandle(worker, reply.port, done));
            break;
          case "log":
            config.log?.(reply.event);
            break;
          case "dump":
            config.dump?.(reply.text);
            break;
          case "failed":
            fail(reply.message);
            break;
          case "done":
            resolveDone();
            break;
        }
      };
      const start: WorkerStart = {
        type: "start",
        options: config.options,
        maxConns: config.maxConns,
        counters: config.counters,
        sendLogs: config.log !== undefined,
        tls: config.tls,
        forwardTls: config.forwardTls,
      };
      worker.postMessage(start);
    });
  }

  /** Asks the Worker to stop accepting and drain its connections. */
  stop(): void {
    this.#worker.postMessage({ type: "stop" });
  }

  /** Asks the Worker to end its drain at once. */
  force(): void {
    this.#worker.postMessage({ type: "force" });
  }

  /** Stops the Worker, waits at most `deadlineMs` for it to finish, then terminates it. */
  async close(deadlineMs: number): Promise<void> {
    this.stop();
    await waitSettled(this.done, deadlineMs);
    this.terminate();
  }

  /** Ends the Worker now. */
  terminate(): void {
    this.#worker.terminate();
  }
}
