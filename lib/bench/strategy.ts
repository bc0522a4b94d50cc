/**
 * What a bench connection strategy (echo.ts, stream.ts, connect_rate.ts) and the
 * per-Worker driver that runs it (client.ts) share: the run phases, the plan, the
 * Worker's counters, and the two interfaces between them.
 */

import type { Address } from "../common/address.ts";
import type { TlsClientMaterial } from "../tls/client.ts";
import { DialError } from "../common/dial.ts";
import { describeNetError, isPeerGone } from "../common/errors.ts";
import type { ErrorKind } from "./report.ts";
import { LatencyHistogram } from "./stats.ts";

/** Run phases, stored in the shared phase cell. */
export const WARMUP = 0;
export const MEASURE = 1;
export const STOP = 2;

/** What one client Worker runs. */
export interface ClientPlan {
  mode: "echo" | "stream" | "connect";
  address: Address;
  sizeBytes: number;
  pipeline: number;
  timeoutMs: number;
  /** Global number of this Worker's first connection (each connection's pattern differs). */
  firstConnection: number;
  connections: number;
  /** Messages each connection sends while measuring (`-n`); undefined: until stopped. */
  quotas: number[] | undefined;
  /** Connections of the whole run (over every Worker). */
  totalConnections: number;
  /** Open loop: messages per second for each connection; undefined: closed loop. */
  ratePerConnection: number | undefined;
  /** Open loop: the clock thread's buffer (clock.ts) and this Worker's index in it. */
  clock: SharedArrayBuffer | undefined;
  clockIndex: number;
  /** Int32Array cell 0 holds the phase (WARMUP, MEASURE, STOP). */
  phase: SharedArrayBuffer;
  /** With `--tls`: what each connection dials with (settled by lib/bench/tls.ts). */
  tls?: TlsClientMaterial;
}

/** Most error descriptions kept for the report. */
const MAX_SAMPLES = 5;

/**
 * What one phase of a Worker counted. Warmup messages are counted too, in a tally that is
 * thrown away, so that warmup runs exactly the code that measuring runs and V8 has
 * optimized all of it before the window opens. (Counting measured messages only, the
 * first one reached code V8 had not run yet: the client ran deoptimized code for the
 * first ~0.2 s of every window.)
 */
export class Tally {
  /** Whole messages (bytes are messages x size: every message is sent whole). */
  messages = 0;
  connections = 0;
  /** Latencies of the messages counted here, up to the last WorkerStats.fold. */
  latency = new LatencyHistogram();
  connectLatency = new LatencyHistogram();
  /**
   * Absolute time (performance.timeOrigin + now) of the last completion; -Infinity: none.
   * Not 0: the field holds a double from the start, so the first time written does not
   * change the shape both tallies share (V8 would deoptimize the code that counts).
   */
  lastCompletionMs = -Infinity;
}

/** Everything one Worker measures, shared by its connections. */
export class WorkerStats {
  /** [warmup, measured]: picked by index, so that both phases take the same path. */
  readonly #tallies = [new Tally(), new Tally()];
  /**
   * Latencies since the last progress interval, by tally. Each message's latency is
   * recorded once, here: {@linkcode takeInterval} reads both together as the interval's,
   * and {@linkcode fold} moves them into the tallies' histograms.
   */
  readonly #recent = [new LatencyHistogram(), new LatencyHistogram()];
  readonly #interval = new LatencyHistogram();
  /** Messages of both tallies when the last interval was taken. */
  #takenMessages = 0;
  /** What the measuring window counted (its latencies once folded). */
  readonly measured: Tally = this.#tallies[1];
  mismatches = 0;
  errors: Record<ErrorKind, number> = { connect: 0, closed: 0, reset: 0, stall: 0, other: 0 };
  errorSamples: string[] = [];

  /**
   * The tally a message counts in: the measuring window's when `measured` (admitted
   * while measuring and completed before the stop), else the warmup's (thrown away).
   */
  tally(measured: boolean): Tally {
    return this.#tallies[measured ? 1 : 0];
  }

  /** Records the latency `us` of a message counted in the tally `measured` picks. */
  recordLatency(us: number, measured: boolean) {
    this.#recent[measured ? 1 : 0].record(us);
  }

  /**
   * Counts one echoed message with latency `us`, completed at `atMs` (absolute), in the
   * tally `measured` picks.
   */
  echoed(us: number, measured: boolean, atMs: number) {
    const i = measured ? 1 : 0;
    const t = this.#tallies[i];
    t.messages++;
    this.#recent[i].record(us);
    t.lastCompletionMs = atMs;
  }

  /**
   * The progress interval since the last call: the messages of both tallies and their
   * latencies (a histogram reused by the next call), which then move into the tallies.
   */
  takeInterval(): { messages: number; latency: LatencyHistogram } {
    const [warmup, measured] = this.#tallies;
    const total = warmup.messages + measured.messages;
    const messages = total - this.#takenMessages;
    this.#takenMessages = total;
    this.#interval.reset();
    for (const recent of this.#recent) this.#interval.merge(recent);
    this.fold();
    return { messages, latency: this.#interval };
  }

  /** Moves the latencies recorded since the last interval into the tallies' histograms. */
  fold() {
    this.#tallies.forEach((tally, i) => {
      tally.latency.merge(this.#recent[i]);
      this.#recent[i].reset();
    });
  }

  error(kind: ErrorKind, text: string) {
    this.errors[kind]++;
    if (this.errorSamples.length < MAX_SAMPLES) this.errorSamples.push(text);
  }

  mismatch(text: string) {
    this.mismatches++;
    if (this.errorSamples.length < MAX_SAMPLES) this.errorSamples.push(text);
  }
}

/** What a connection strategy sees of the driver. */
export interface Driver {
  readonly plan: ClientPlan;
  readonly stats: WorkerStats;
  /** The current phase (WARMUP, MEASURE, STOP). */
  readonly phase: number;
  /**
   * Whether a connection may start another message now, and whether that message is
   * measured: 0 no, 1 yes (warmup, not measured), 2 yes (measured). Takes one from
   * the connection's quota while measuring.
   */
  admit(conn: { quota: number }): 0 | 1 | 2;
}

/**
 * A connection's quota when it has none (`-n` not given). A small integer, not Infinity:
 * V8 keeps a double field's value in a box of its own, one more cold cache line for every
 * message of the connection.
 */
export const UNLIMITED = -1;

/**
 * Whether a connection may start another message in `phase`, and whether that message is
 * measured: 0 no, 1 yes (warmup, not measured), 2 yes (measured). Warmup and measuring
 * take the same path (see Tally): a limited quota is read and written in both, and only
 * measuring takes one from it.
 */
export function admitIn(phase: number, conn: { quota: number }): 0 | 1 | 2 {
  if (phase === STOP) return 0;
  const measuring = phase === MEASURE ? 1 : 0;
  const quota = conn.quota;
  if (quota !== UNLIMITED) {
    if (quota < measuring) return 0;
    conn.quota = quota - measuring;
  }
  return measuring === 1 ? 2 : 1;
}

/** What every connection strategy offers the driver. */
export interface Connection {
  /** Sends until the phases or the quota say stop; resolves once closed. */
  run(): Promise<void>;
  /** Closes the connection if it has nothing in flight (after STOP). */
  stopIfIdle(): void;
  /** Fails the connection if its oldest operation has waited more than `limitMs`. */
  checkStall(now: number, limitMs: number): void;
  /** Counts the error and closes the connection. */
  fail(kind: ErrorKind, text: string): void;
}

/** The report's error kind for a failed read or write. */
export function errorKind(error: unknown): ErrorKind {
  return isPeerGone(error) ? "reset" : "other";
}

/** Why a dial failed, as a short phrase (`connection refused`, `timed out`). */
export function dialFailure(error: unknown): string {
  return error instanceof DialError ? error.reason : describeNetError(error);
}
