/**
 * The echo strategy of `tcpkit bench`: request/reply on one connection, either a closed
 * loop (`--pipeline K` messages in flight; a reply lets the next message go) or an open
 * loop (`--rate`: messages leave on a schedule kept by pacer.ts, and latency is measured
 * from each message's intended send time, so a slow server cannot hide queueing:
 * coordinated omission corrected as wrk2 does).
 *
 * Reads and writes run concurrently, so messages larger than the socket buffers cannot
 * deadlock. Every echoed byte is checked against the pattern sent.
 */

import { Buffer } from "node:buffer";
import { describeNetError } from "../common/errors.ts";
import { formatDuration } from "../common/format.ts";
import { closeQuietly } from "../common/io.ts";
import type { Pacer } from "./pacer.ts";
import type { ErrorKind } from "./report.ts";
import { CHUNK, firstDifference, hex, pattern, patternOffset, PERIOD, words } from "./pattern.ts";
import {
  type Connection,
  type Driver,
  errorKind,
  MEASURE,
  STOP,
  type WorkerStats,
} from "./strategy.ts";

/** Request/reply on one connection: closed loop, or open loop on a schedule. */
export class EchoConnection implements Connection {
  quota: number;
  readonly #client: Driver;
  readonly #stats: WorkerStats;
  readonly #conn: Deno.Conn;
  readonly #id: number;
  readonly #size: number;
  readonly #pipeline: number;
  readonly #offset: number;
  readonly #pattern = pattern();
  readonly #pattern32 = words(this.#pattern);
  readonly #buf: Uint8Array;
  readonly #buf32: Uint32Array;
  readonly #bufNative: Buffer;
  readonly #patternNative: Buffer;
  readonly #views: Uint8Array[];
  /** Start (or intended start) times of messages in flight, a ring of `pipeline` slots. */
  readonly #starts: Float64Array;
  readonly #measured: Uint8Array;
  #head = 0;
  #tail = 0;
  #inFlight = 0;
  /** Stream offsets: bytes queued for sending, written, and received. */
  #queued = 0;
  #written = 0;
  #received = 0;
  #partial = 0;
  #writing = false;
  #done = false;
  #finish!: () => void;
  readonly #finished = new Promise<void>((resolve) => this.#finish = resolve);
  // Open loop: message k is due at #scheduleStart + (k + #phase) * #intervalMs.
  #pacer: Pacer | undefined;
  #scheduleStart = 0;
  #phase = 0;
  #intervalMs = 0;
  #sent = 0;

  constructor(client: Driver, id: number, quota: number, conn: Deno.Conn) {
    this.#client = client;
    this.#stats = client.stats;
    this.#conn = conn;
    this.#id = id;
    this.quota = quota;
    this.#size = client.plan.sizeBytes;
    this.#pipeline = client.plan.pipeline;
    this.#offset = patternOffset(id);
    const bufLen = Math.min(CHUNK, Math.max(16 * 1024, this.#size * this.#pipeline));
    this.#buf = new Uint8Array((bufLen + 7) & ~3);
    this.#buf32 = words(this.#buf);
    // Buffer#compare is a native memcmp: ~20x faster than a JS loop on large reads.
    this.#bufNative = Buffer.from(this.#buf.buffer, 0, this.#buf.length);
    this.#patternNative = Buffer.from(this.#pattern.buffer, 0, this.#pattern.length);
    this.#views = [0, 1, 2, 3].map((a) => this.#buf.subarray(a, a + bufLen));
    this.#starts = new Float64Array(this.#pipeline);
    this.#measured = new Uint8Array(this.#pipeline);
  }

  /** The connection's number among all of the run's connections. */
  get id(): number {
    return this.#id;
  }

  run(): Promise<void> {
    if (this.#pacer === undefined) this.#startClosed(performance.now(), this.#pipeline);
    this.#checkFinished();
    this.#readLoop().catch((error) => this.fail(errorKind(error), describeNetError(error)));
    return this.#finished;
  }

  /**
   * Makes this an open-loop connection: message k is due at `startMs + (k + phase) *
   * intervalMs` (local ms); `pacer` releases the messages on time.
   */
  schedule(pacer: Pacer, startMs: number, intervalMs: number, phase: number) {
    this.#pacer = pacer;
    this.#scheduleStart = startMs;
    this.#intervalMs = intervalMs;
    this.#phase = phase;
  }

  /** Open loop: sends every message due by `now` (all overdue ones at once), pipeline allowing. */
  release(now: number) {
    if (this.#done) return;
    let n = 0;
    while (this.#inFlight + n < this.#pipeline) {
      const intended = this.#scheduleStart + (this.#sent + this.#phase) * this.#intervalMs;
      if (intended > now) break;
      const admit = this.#client.admit(this);
      if (admit === 0) break;
      this.#push(intended, admit);
      this.#sent++;
      n++;
    }
    if (n > 0) this.#send(n);
    else this.#checkFinished();
  }

  #startClosed(now: number, max: number) {
    let n = 0;
    while (n < max) {
      const admit = this.#client.admit(this);
      if (admit === 0) break;
      this.#push(now, admit);
      n++;
    }
    if (n > 0) this.#send(n);
  }

  #push(start: number, admit: 1 | 2) {
    this.#starts[this.#tail] = start;
    this.#measured[this.#tail] = admit === 2 ? 1 : 0;
    this.#tail = this.#tail + 1 === this.#pipeline ? 0 : this.#tail + 1;
    this.#inFlight++;
  }

  #send(messages: number) {
    this.#queued += messages * this.#size;
    if (!this.#writing) this.#writeNext();
  }

  /** Writes queued bytes, one write in flight at a time (promise callbacks, not an async loop). */
  #writeNext() {
    if (this.#done || this.#written >= this.#queued) {
      this.#writing = false;
      return;
    }
    this.#writing = true;
    const p = (this.#written + this.#offset) % PERIOD;
    const len = Math.min(this.#queued - this.#written, CHUNK);
    this.#conn.write(this.#pattern.subarray(p, p + len)).then(this.#onWritten, this.#onWriteError);
  }

  readonly #onWritten = (n: number) => {
    this.#written += n;
    this.#writeNext();
  };

  readonly #onWriteError = (error: unknown) => {
    this.#writing = false;
    this.fail(errorKind(error), describeNetError(error));
  };

  async #readLoop() {
    const size = this.#size;
    const stats = this.#stats;
    while (!this.#done) {
      const align = (this.#received + this.#offset) & 3;
      const n = await this.#conn.read(this.#views[align]);
      if (this.#done) return;
      if (n === null) {
        this.fail(
          "closed",
          `connection ${this.#id}: closed by the server with ${this.#inFlight} message(s) unanswered`,
        );
        return;
      }
      if (this.#received + n > this.#queued) {
        this.#mismatch(`received ${this.#received + n - this.#queued} byte(s) more than sent`);
        return;
      }
      const p = (this.#received + this.#offset) % PERIOD;
      if (this.#patternNative.compare(this.#bufNative, align, align + n, p, p + n) !== 0) {
        const bad = firstDifference(
          this.#buf,
          align,
          this.#pattern,
          p,
          n,
          this.#buf32,
          this.#pattern32,
        );
        const at = this.#received + bad;
        const got = this.#buf[align + bad];
        const want = this.#pattern[p + bad];
        this.#mismatch(`byte ${at} of the echo is ${hex(got)}, expected ${hex(want)}`);
        return;
      }
      this.#received += n;
      this.#partial += n;
      if (this.#partial < size) continue;
      const now = performance.now();
      let completed = 0;
      while (this.#partial >= size) {
        this.#partial -= size;
        completed++;
        const start = this.#starts[this.#head];
        const measured = this.#measured[this.#head];
        this.#head = this.#head + 1 === this.#pipeline ? 0 : this.#head + 1;
        this.#inFlight--;
        const us = (now - start) * 1000;
        stats.intervalMessages++;
        stats.intervalLatency.record(us);
        if (measured === 1 && this.#client.phase === MEASURE) {
          stats.messages++;
          stats.bytesSent += size;
          stats.bytesReceived += size;
          stats.latency.record(us);
        }
      }
      stats.lastCompletionMs = performance.timeOrigin + now;
      if (this.#pacer === undefined) this.#startClosed(now, completed);
      else {
        this.release(now);
        this.#pacer.poll(now);
      }
      this.#checkFinished();
    }
  }

  #checkFinished() {
    if (this.#inFlight > 0 || this.#done) return;
    if (this.#client.phase === STOP || (this.#client.phase === MEASURE && this.quota <= 0)) {
      this.#close();
    }
  }

  stopIfIdle() {
    if (this.#inFlight === 0) this.#checkFinished();
  }

  checkStall(now: number, limitMs: number) {
    if (this.#done || this.#inFlight === 0) return;
    if (now - this.#starts[this.#head] > limitMs) {
      this.fail("stall", `connection ${this.#id}: no reply within ${formatDuration(limitMs)}`);
    }
  }

  #mismatch(what: string) {
    if (this.#done) return;
    this.#stats.mismatch(`connection ${this.#id}: ${what}`);
    this.#close();
  }

  fail(kind: ErrorKind, text: string) {
    if (this.#done) return;
    this.#stats.error(
      kind,
      text.startsWith("connection ") ? text : `connection ${this.#id}: ${text}`,
    );
    this.#close();
  }

  #close() {
    if (this.#done) return;
    this.#done = true;
    closeQuietly(this.#conn);
    this.#finish();
  }
}
