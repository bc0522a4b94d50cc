/**
 * Worker entry for `tcpkit bench`: runs one share of the connections with
 * {@linkcode BenchClient} and answers the main thread, which drives the phases and
 * prints progress and the report. With `--rate`, one more of these Workers runs the
 * open-loop clock (clock.ts) instead, which blocks its thread.
 */

import { BenchClient, type ClientReport, type IntervalReport, threadCpu } from "./client.ts";
import type { ThreadCpu } from "./client.ts";
import { runClock } from "./clock.ts";
import type { ClientPlan } from "./strategy.ts";

/** Main thread → Worker. */
export type BenchWorkerRequest =
  | { type: "start"; plan: ClientPlan }
  | { type: "clock"; buffer: SharedArrayBuffer }
  /** Start sending; an open loop's schedule starts at `startMs` (absolute ms). */
  | { type: "go"; startMs: number }
  | { type: "tick"; seq: number }
  | { type: "stop" }
  | { type: "abort" };

/** Worker → main thread. */
export type BenchWorkerReply =
  | {
    type: "ready";
    connected: number;
    firstError: string | undefined;
    /** What connecting counted (errors, connect latency). */
    report: ClientReport;
    /** This thread's CPU time so far. */
    cpu: ThreadCpu;
  }
  | { type: "interval"; seq: number; interval: IntervalReport }
  | { type: "result"; report: ClientReport };

const scope = self as unknown as {
  postMessage(message: BenchWorkerReply): void;
  onmessage: ((event: MessageEvent<BenchWorkerRequest>) => void) | null;
  close(): void;
};

let client: BenchClient | undefined;

scope.onmessage = (event) => {
  const message = event.data;
  switch (message.type) {
    case "start":
      client = new BenchClient(message.plan);
      client.connect().then((connected) =>
        scope.postMessage({
          type: "ready",
          connected,
          firstError: client!.stats.errorSamples[0],
          report: client!.report(),
          cpu: threadCpu(),
        })
      );
      break;
    case "clock":
      runClock(message.buffer);
      scope.close();
      break;
    case "go": {
      const running = client!;
      running.run(message.startMs).then(() =>
        scope.postMessage({ type: "result", report: running.report() })
      );
      break;
    }
    case "tick":
      if (client) {
        scope.postMessage({ type: "interval", seq: message.seq, interval: client.takeInterval() });
      }
      break;
    case "stop":
      client?.stopIdle();
      break;
    case "abort":
      client?.abort();
      break;
  }
};
