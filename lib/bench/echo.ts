/**
 * The echo strategy of `tcpkit bench`: request/reply on one connection, either a closed
 * loop (`--pipeline K` messages in flight; a reply lets the next message go) or an open
 * loop (`--rate`: messages leave on a schedule kept by pacer.ts, and latency is measured
 * from each message's intended send time, so a slow server cannot hide queueing:
 * coordinated omission corrected as wrk2 does).
 *
 * With one message in flight and messages of up to 64 KiB (the default), a connection
 * takes turns as the smallest fast client does: write, read the echo, go again. Otherwise
 * reads and writes run concurrently, so messages larger than the socket buffers cannot
 * deadlock. Every echoed byte is checked against the pattern sent, and every message's
 * latency is recorded.
 */

import { Buffer } from "node:buffer";
import { describeNetError } from "../common/errors.ts";
import { formatDuration } from "../common/format.ts";
import { closeQuietly } from "../common/io.ts";
import { type ReceiveArena, receiveBytes } from "./arena.ts";
import { loopNow } from "./loop_time.ts";
import type { Pacer } from "./pacer.ts";
import type { ErrorKind } from "./report.ts";
import { CHUNK, firstDifference, hex, pattern, patternOffset, PERIOD, words } from "./pattern.ts";
import {
  admitIn,
  type Connection,
  type Driver,
  errorKind,
  MEASURE,
  STOP,
  type WorkerStats,
} from "./strategy.ts";

/** performance.timeOrigin, read once (the getter checks its receiver on every call). */
const TIME_ORIGIN = performance.timeOrigin;

/**
 * Largest message the closed loop with one message in flight sends before it reads
 * (#turns); larger ones, or several in flight, read while writing so that nothing can
 * deadlock on full socket buffers.
 */
const TURN_MAX = 64 * 1024;
/** Reads up to this many bytes are checked in JavaScript, longer ones by a native memcmp. */
const SHORT_COMPARE = 256;

/** Request/reply on one connection: closed loop, or open loop on a schedule. */
export class EchoConnection implements Connection {
  // The fields the closed loop touches on every message come first, so that they share
  // the object's first cache lines (with 50 connections, each is cold when its turn comes).
  #done = false;
  /** Messages left to send while measuring, or UNLIMITED (strategy.ts). */
  quota: number;
  readonly #client: Driver;
  readonly #stats: WorkerStats;
  readonly #conn: Deno.Conn;
  readonly #size: number;
  /**
   * Where the next write and the next read are in the pattern, kept below PERIOD so the
   * arithmetic stays on small integers (a byte count past 2^31 would make `%` a float op).
   */
  #writeAt: number;
  #readAt: number;
  #inFlight = 0;
  /** Bytes of echo received so far (the stream offset of the next byte to check). */
  #received = 0;
  /**
   * The turn's message (#turns): when it started, and whether it is measured. Starts as a
   * fraction so the field holds a double from the first (V8 would deoptimize on a change).
   */
  #turnStart = 0.5;
  #turnMeasured = false;
  readonly #offset: number;
  readonly #pattern = pattern();
  readonly #pattern32 = words(this.#pattern);
  /** The Worker's receive arena (arena.ts), its words, and where this connection's slice is. */
  readonly #rx: Uint8Array;
  readonly #rx32: Uint32Array;
  readonly #rxAt: number;
  readonly #views: Uint8Array[];
  readonly #readView: Uint8Array;
  readonly #id: number;
  readonly #pipeline: number;
  /** This connection's slice, for the native compare. */
  readonly #rxNative: Buffer;
  readonly #patternNative: Buffer;
  /** Start (or intended start) times of messages in flight, a ring of `pipeline` slots. */
  readonly #starts: Float64Array;
  readonly #measured: Uint8Array;
  /** Whether the connection takes turns (#turns) rather than pipelining. */
  #turnsMode = false;
  #head = 0;
  #tail = 0;
  /** The pipelined path's stream offsets: bytes queued for sending, and bytes written. */
  #queued = 0;
  #written = 0;
  /** Bytes received since the last whole echoed message (#readLoop). */
  #partial = 0;
  #writing = false;
  #finish!: () => void;
  readonly #finished = new Promise<void>((resolve) => this.#finish = resolve);
  // Open loop: message k is due at #scheduleStart + (k + #phase) * #intervalMs.
  #pacer: Pacer | undefined;
  #scheduleStart = 0;
  #phase = 0;
  #intervalMs = 0;
  #sent = 0;

  constructor(client: Driver, id: number, quota: number, conn: Deno.Conn, arena: ReceiveArena) {
    this.#client = client;
    this.#stats = client.stats;
    this.#conn = conn;
    this.#id = id;
    this.quota = quota;
    this.#size = client.plan.sizeBytes;
    this.#pipeline = client.plan.pipeline;
    this.#offset = patternOffset(id);
    this.#writeAt = this.#readAt = this.#offset;
    const rxLen = receiveBytes(this.#size, this.#pipeline);
    this.#rx = arena.bytes;
    this.#rx32 = arena.words;
    this.#rxAt = arena.take();
    // Buffer#compare is a native memcmp: ~20x faster than a JS loop on large reads. Over the
    // slice alone, so its offsets stay small: Deno's compare checks `targetEnd` against the
    // source's length (the pattern's), not the target's.
    this.#rxNative = Buffer.from(this.#rx.buffer, this.#rxAt, rxLen + 3);
    this.#patternNative = Buffer.from(this.#pattern.buffer, 0, this.#pattern.length);
    this.#views = [0, 1, 2, 3].map((a) =>
      this.#rx.subarray(this.#rxAt + a, this.#rxAt + a + rxLen)
    );
    this.#readView = this.#views[this.#offset & 3];
    this.#starts = new Float64Array(this.#pipeline);
    this.#measured = new Uint8Array(this.#pipeline);
  }

  /** The connection's number among all of the run's connections. */
  get id(): number {
    return this.#id;
  }

  run(): Promise<void> {
    if (this.#pacer === undefined && this.#pipeline === 1 && this.#size <= TURN_MAX) {
      this.#turnsMode = true;
      this.#turnStart = performance.now();
      this.#turns().catch((error) => this.fail(errorKind(error), describeNetError(error)));
      return this.#finished;
    }
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

  /**
   * The closed loop with one message in flight, taking turns as the smallest fast client
   * does: write the message, read until its echo is back, verify it, record its latency,
   * go again. Reading only after writing is safe: a message of up to TURN_MAX bytes fits
   * in the socket buffers on the way there and back.
   *
   * The work between the awaits is in the methods below, so that little is live across
   * an await: V8 saves and restores every live local of an async function at each one.
   * `#writeAt` is where the message starts in the pattern (the echo has caught up).
   */
  async #turns() {
    const conn = this.#conn;
    const size = this.#size;
    let phase = this.#client.phase;
    while (this.#beginTurn(phase)) {
      for (let written = 0; written < size;) {
        written += await conn.write(this.#turnBytes(written));
        if (this.#done) return;
      }
      for (let got = 0; got < size;) {
        const n = await conn.read(this.#turnView(got));
        if (this.#done || !this.#turnRead(n, got)) return;
        got += n;
      }
      phase = this.#endTurn();
    }
  }

  /** Starts a turn if `phase` and the quota allow one; closes the connection if not. */
  #beginTurn(phase: number): boolean {
    if (this.#done) return false;
    const admit = admitIn(phase, this);
    if (admit === 0) {
      this.#close();
      return false;
    }
    this.#turnMeasured = admit === 2;
    this.#inFlight = 1;
    return true;
  }

  /** Where to read the turn's echo after `got` bytes: aligned with the pattern. */
  #turnView(got: number): Uint8Array {
    const align = (this.#writeAt + got) & 3;
    return align === (this.#offset & 3) ? this.#readView : this.#views[align];
  }

  /** The bytes of the turn's message from byte `written` on. */
  #turnBytes(written: number): Uint8Array {
    return new Uint8Array(this.#pattern.buffer, this.#writeAt + written, this.#size - written);
  }

  /** Checks `n` bytes read after `got` bytes of the echo; false once the connection failed. */
  #turnRead(n: number | null, got: number): n is number {
    if (n === null) {
      this.#closedEarly(1);
      return false;
    }
    if (got + n > this.#size) {
      this.#mismatch(`received ${got + n - this.#size} byte(s) more than sent`);
      return false;
    }
    const p = this.#writeAt + got;
    return this.#verify(n, p, p & 3, this.#received + got);
  }

  /**
   * Ends a turn: counts the message and its latency; the next one starts now. Both ends
   * are stamped with the event loop's turn (loop_time.ts): the echo was in its buffer
   * when the turn began. Returns the phase, read once for the end of this message and
   * the admission of the next.
   */
  #endTurn(): number {
    const now = loopNow();
    const phase = this.#client.phase;
    // Read in every phase, so that V8 has seen this before the window opens (Tally).
    const measuring = phase === MEASURE;
    const size = this.#size;
    this.#inFlight = 0;
    this.#received += size;
    this.#writeAt = (this.#writeAt + size) % PERIOD;
    const measured = this.#turnMeasured && measuring;
    this.#stats.echoed((now - this.#turnStart) * 1000, measured, TIME_ORIGIN + now);
    this.#turnStart = now;
    return phase;
  }

  /**
   * Whether the `n` bytes just read into the view aligned at `align` match the pattern
   * at `p`; reports the first wrong byte (byte `streamAt` + i of the echo) if not.
   */
  #verify(n: number, p: number, align: number, streamAt: number): boolean {
    const rx = this.#rx;
    const at = this.#rxAt + align;
    const pattern = this.#pattern;
    // Short reads: a word-wise loop beats the native compare's call overhead.
    if (
      n <= SHORT_COMPARE
        ? firstDifference(rx, at, pattern, p, n, this.#rx32, this.#pattern32) < 0
        : this.#patternNative.compare(this.#rxNative, align, align + n, p, p + n) === 0
    ) {
      return true;
    }
    const bad = firstDifference(rx, at, pattern, p, n, this.#rx32, this.#pattern32);
    this.#mismatch(
      `byte ${streamAt + bad} of the echo is ${hex(rx[at + bad])}, expected ${
        hex(pattern[p + bad])
      }`,
    );
    return false;
  }

  #closedEarly(unanswered: number) {
    this.fail(
      "closed",
      `connection ${this.#id}: closed by the server with ${unanswered} message(s) unanswered`,
    );
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
    const len = Math.min(this.#queued - this.#written, CHUNK);
    // A view made by the constructor: about half the cost of subarray().
    const bytes = new Uint8Array(this.#pattern.buffer, this.#writeAt, len);
    this.#conn.write(bytes).then(this.#onWritten, this.#onWriteError);
  }

  readonly #onWritten = (n: number) => {
    this.#written += n;
    this.#writeAt = (this.#writeAt + n) % PERIOD;
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
      const p = this.#readAt;
      const align = p & 3;
      const n = await this.#conn.read(this.#views[align]);
      if (this.#done) return;
      if (n === null) {
        this.#closedEarly(this.#inFlight);
        return;
      }
      if (this.#received + n > this.#queued) {
        this.#mismatch(`received ${this.#received + n - this.#queued} byte(s) more than sent`);
        return;
      }
      if (!this.#verify(n, p, align, this.#received)) return;
      this.#received += n;
      this.#readAt = (p + n) % PERIOD;
      this.#partial += n;
      if (this.#partial < size) continue;
      const now = performance.now();
      const measuring = this.#client.phase === MEASURE;
      let completed = 0;
      while (this.#partial >= size) {
        this.#partial -= size;
        completed++;
        const start = this.#starts[this.#head];
        const measured = this.#measured[this.#head] === 1 && measuring;
        this.#head = this.#head + 1 === this.#pipeline ? 0 : this.#head + 1;
        this.#inFlight--;
        stats.echoed((now - start) * 1000, measured, TIME_ORIGIN + now);
      }
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
    if (this.#client.phase === STOP || (this.#client.phase === MEASURE && this.quota === 0)) {
      this.#close();
    }
  }

  stopIfIdle() {
    if (this.#inFlight === 0) this.#checkFinished();
  }

  checkStall(now: number, limitMs: number) {
    if (this.#done || this.#inFlight === 0) return;
    const oldest = this.#turnsMode ? this.#turnStart : this.#starts[this.#head];
    if (now - oldest > limitMs) {
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
