/**
 * The per-Worker driver of `tcpkit bench`: opens this Worker's share of the
 * connections, runs them with the plan's strategy (echo.ts: closed or open loop;
 * stream.ts; connect_rate.ts), follows the phases the main thread sets in a shared
 * Int32Array (warmup, measure, stop), watches for stalls, paces the open loop (pacer.ts),
 * and hands the counters, histograms and its thread's CPU time back as plain data.
 */

import process from "node:process";
import { dial } from "../common/dial.ts";
import { mapBounded } from "../common/pool.ts";
import { ReceiveArena, receiveBytes } from "./arena.ts";
import { ConnectSlot } from "./connect_rate.ts";
import { ClockAlarm } from "./clock.ts";
import { EchoConnection } from "./echo.ts";
import { Pacer } from "./pacer.ts";
import { StreamConnection } from "./stream.ts";
import type { ErrorKind } from "./report.ts";
import {
  admitIn,
  type ClientPlan,
  type Connection,
  dialFailure,
  type Driver,
  STOP,
  UNLIMITED,
  WorkerStats,
} from "./strategy.ts";

/** What a client Worker measured; plain data for postMessage. */
export interface ClientReport {
  messages: number;
  bytesSent: number;
  bytesReceived: number;
  connections: number;
  mismatches: number;
  errors: Record<ErrorKind, number>;
  errorSamples: string[];
  /** Encoded latency histogram (microseconds). */
  latency: string;
  connectLatency: string;
  /** Absolute time (performance.timeOrigin + now) of the last measured completion. */
  lastCompletionMs: number;
}

/** One progress interval of one Worker. */
export interface IntervalReport {
  messages: number;
  latency: string;
  /** CPU time of this Worker's thread since it started (not since the last interval). */
  cpu: ThreadCpu;
}

/** CPU time a thread has used, in microseconds. */
export interface ThreadCpu {
  userUs: number;
  systemUs: number;
}

/**
 * CPU time of the calling thread (getrusage RUSAGE_THREAD; the kernel counts it in
 * scheduler ticks, 10 ms here). `Deno.cpuUsage()` would count the whole process,
 * the embedded server's threads included.
 */
export function threadCpu(): ThreadCpu {
  const usage = (process as unknown as { threadCpuUsage(): { user: number; system: number } })
    .threadCpuUsage();
  return { userUs: usage.user, systemUs: usage.system };
}

/** Connects started at once while opening connections. */
const CONNECT_CONCURRENCY = 128;

/** Runs one Worker's connections. */
export class BenchClient implements Driver {
  readonly plan: ClientPlan;
  readonly stats = new WorkerStats();
  readonly #phase: Int32Array;
  #conns: Connection[] = [];
  #timers: ReturnType<typeof setInterval>[] = [];
  #pacer: Pacer | undefined;

  constructor(plan: ClientPlan) {
    this.plan = plan;
    this.#phase = new Int32Array(plan.phase);
  }

  get phase(): number {
    return this.#phase[0];
  }

  /** Opens the connections (not in connect mode). Resolves to how many opened. */
  async connect(): Promise<number> {
    const { plan } = this;
    const indices = Array.from({ length: plan.connections }, (_, i) => i);
    const quota = (i: number) => plan.quotas?.[i] ?? UNLIMITED;
    let conns: (Connection | undefined)[];
    if (plan.mode === "connect") {
      conns = indices.map((i) => new ConnectSlot(this, plan.firstConnection + i, quota(i)));
    } else {
      // Every echo connection's receive buffer is a slice of this (stream mode reads nothing).
      const arena = new ReceiveArena(
        plan.mode === "echo" ? plan.connections : 0,
        receiveBytes(plan.sizeBytes, plan.pipeline),
      );
      conns = await mapBounded(indices, CONNECT_CONCURRENCY, async (i) => {
        const id = plan.firstConnection + i;
        const start = performance.now();
        let conn: Deno.Conn;
        try {
          conn = await dial(plan.address, plan.timeoutMs, plan.tls);
        } catch (error) {
          this.stats.error("connect", `connection ${id}: cannot connect: ${dialFailure(error)}`);
          return undefined;
        }
        this.stats.measured.connectLatency.record((performance.now() - start) * 1000);
        this.stats.measured.connections++;
        return plan.mode === "stream"
          ? new StreamConnection(this, id, quota(i), conn)
          : new EchoConnection(this, id, quota(i), conn, arena);
      });
    }
    this.#conns = conns.filter((c): c is Connection => c !== undefined);
    return this.#conns.length;
  }

  /**
   * Starts sending; resolves once every connection has finished. An open loop's
   * schedule starts at `startMs` (absolute: performance.timeOrigin + now), the same
   * instant in every Worker.
   */
  async run(startMs: number): Promise<void> {
    const { plan } = this;
    const watchMs = Math.max(5, Math.min(100, plan.timeoutMs / 4));
    this.#timers.push(setInterval(() => this.#watch(), watchMs));
    const pacer = plan.ratePerConnection !== undefined && this.#conns.length > 0
      ? this.#schedule(plan.ratePerConnection, startMs - performance.timeOrigin)
      : undefined;
    const running = Promise.all(this.#conns.map((c) => c.run()));
    pacer?.start(startMs - performance.timeOrigin);
    try {
      await running;
    } finally {
      this.#pacer?.stop();
      this.#timers.forEach((t) => clearInterval(t));
      this.#timers = [];
    }
  }

  /** Stops connections that have nothing in flight (the others stop on their last reply). */
  stopIdle(): void {
    for (const c of this.#conns) c.stopIfIdle();
  }

  /** Closes every connection at once. */
  abort(): void {
    for (const c of this.#conns) c.fail("other", "stopped");
  }

  /** Takes the progress counters of the interval since the last call. */
  takeInterval(): IntervalReport {
    const { messages, latency } = this.stats.takeInterval();
    return { messages, latency: latency.encode(), cpu: threadCpu() };
  }

  report(): ClientReport {
    const s = this.stats;
    s.fold();
    const t = s.measured;
    const bytes = t.messages * this.plan.sizeBytes;
    return {
      messages: t.messages,
      bytesSent: bytes,
      // An upload reads back nothing it counts.
      bytesReceived: this.plan.mode === "stream" ? 0 : bytes,
      connections: t.connections,
      mismatches: s.mismatches,
      errors: s.errors,
      errorSamples: s.errorSamples,
      latency: t.latency.encode(),
      connectLatency: t.connectLatency.encode(),
      lastCompletionMs: t.lastCompletionMs,
    };
  }

  /**
   * Decides whether a connection may start another message now, and whether that
   * message is measured: 0 no, 1 yes (warmup, not measured), 2 yes (measured).
   */
  admit(conn: { quota: number }): 0 | 1 | 2 {
    return admitIn(this.#phase[0], conn);
  }

  #watch() {
    const now = performance.now();
    const limit = this.plan.timeoutMs;
    for (const c of this.#conns) c.checkStall(now, limit);
    if (this.#phase[0] === STOP) this.stopIdle();
  }

  /**
   * Paces the open loop. Connection n of all N (over every Worker) is shifted by n/N of
   * its interval, so that together they send at an even rate.
   */
  #schedule(rate: number, startMs: number): Pacer {
    const { plan } = this;
    const conns = this.#conns as EchoConnection[];
    const intervalMs = 1000 / rate;
    const phases = conns.map((c) => c.id / plan.totalConnections);
    const alarm = new ClockAlarm(plan.clock!, plan.clockIndex);
    const pacer = new Pacer(conns, phases, intervalMs, alarm);
    conns.forEach((c, i) => c.schedule(pacer, startMs, intervalMs, phases[i]));
    this.#pacer = pacer;
    return pacer;
  }
}
