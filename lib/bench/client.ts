/**
 * The socket loops of `tcpkit bench`, run inside one client Worker: a closed loop
 * (`--pipeline K` messages in flight per connection), an open loop (`--rate`, latency
 * from each message's intended send time, so a slow server cannot hide queueing:
 * coordinated omission corrected as wrk2 does), a one-way stream (`--mode stream`) and
 * a connection-setup loop (`--mode connect`).
 *
 * Every connection sends a deterministic byte pattern (a shared pseudo-random block read
 * at a per-connection offset), so each echoed byte is checked with a cheap word-wise
 * compare and no per-message allocation. Reads and writes run concurrently, so messages
 * larger than the socket buffers cannot deadlock. The main thread drives the phases
 * (warmup, measure, stop) through a shared Int32Array.
 */

import { Buffer } from "node:buffer";
import type { Address } from "../common/address.ts";
import { LatencyHistogram } from "./stats.ts";
import type { ErrorKind } from "./report.ts";
import { describeNetError } from "../common/errors.ts";
import { closeQuietly } from "../common/io.ts";

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
  /** Open loop: messages per second for each connection; undefined: closed loop. */
  ratePerConnection: number | undefined;
  /** Int32Array cell 0 holds the phase (WARMUP, MEASURE, STOP). */
  phase: SharedArrayBuffer;
}

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
  bytes: number;
  latency: string;
}

/** Most error descriptions kept for the report. */
const MAX_SAMPLES = 5;
/** The pattern repeats every PERIOD bytes; a multiple of 4 so word compares line up. */
const PERIOD = 65_524;
/** Largest single write and read. */
const CHUNK = 256 * 1024;
/** Connects started at once while opening connections. */
const CONNECT_CONCURRENCY = 128;

let sharedPattern: Uint8Array | undefined;

/** PERIOD pseudo-random bytes, followed by CHUNK more that repeat its start. */
function pattern(): Uint8Array {
  if (sharedPattern) return sharedPattern;
  const bytes = new Uint8Array(PERIOD + CHUNK);
  let x = 0x9e3779b9;
  for (let i = 0; i < PERIOD; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    bytes[i] = x & 0xff;
  }
  for (let i = PERIOD; i < bytes.length; i++) bytes[i] = bytes[i - PERIOD];
  sharedPattern = bytes;
  return bytes;
}

/**
 * Index of the first byte of `got[from, from+n)` that differs from
 * `want[at, at+n)`, or -1. `from` and `at` must be equal modulo 4.
 */
export function firstDifference(
  got: Uint8Array,
  from: number,
  want: Uint8Array,
  at: number,
  n: number,
  got32 = words(got),
  want32 = words(want),
): number {
  let i = 0;
  while (i < n && ((from + i) & 3) !== 0) {
    if (got[from + i] !== want[at + i]) return i;
    i++;
  }
  const count = (n - i) >> 2;
  if (count > 0) {
    const g = (from + i) >> 2;
    const w = (at + i) >> 2;
    for (let k = 0; k < count; k++) {
      if (got32[g + k] !== want32[w + k]) {
        for (let j = i + k * 4;; j++) if (got[from + j] !== want[at + j]) return j;
      }
    }
    i += count * 4;
  }
  for (; i < n; i++) if (got[from + i] !== want[at + i]) return i;
  return -1;
}

/**
 * A Uint32Array over the whole of `bytes`, which must start its buffer and have a
 * length divisible by 4.
 */
export function words(bytes: Uint8Array): Uint32Array {
  if (bytes.byteOffset !== 0 || bytes.length % 4 !== 0) {
    throw new RangeError("word views need an aligned buffer of whole words");
  }
  return new Uint32Array(bytes.buffer, 0, bytes.length / 4);
}

/** Opens a connection with a timeout; TCP connections get TCP_NODELAY. */
async function open(address: Address, timeoutMs: number): Promise<Deno.Conn> {
  const signal = AbortSignal.timeout(timeoutMs);
  if (address.transport === "unix") {
    return await Deno.connect({ transport: "unix", path: address.path });
  }
  const conn = await Deno.connect({ hostname: address.hostname, port: address.port, signal });
  conn.setNoDelay(true);
  return conn;
}

function kindOf(error: unknown): ErrorKind {
  if (
    error instanceof Deno.errors.ConnectionReset || error instanceof Deno.errors.BrokenPipe ||
    error instanceof Deno.errors.ConnectionAborted
  ) {
    return "reset";
  }
  return "other";
}

/** Everything one Worker measures, shared by its connections. */
class Stats {
  messages = 0;
  bytesSent = 0;
  bytesReceived = 0;
  connections = 0;
  mismatches = 0;
  errors: Record<ErrorKind, number> = { connect: 0, closed: 0, reset: 0, stall: 0, other: 0 };
  errorSamples: string[] = [];
  latency = new LatencyHistogram();
  connectLatency = new LatencyHistogram();
  lastCompletionMs = 0;
  intervalMessages = 0;
  intervalBytes = 0;
  intervalLatency = new LatencyHistogram();

  error(kind: ErrorKind, text: string) {
    this.errors[kind]++;
    if (this.errorSamples.length < MAX_SAMPLES) this.errorSamples.push(text);
  }

  mismatch(text: string) {
    this.mismatches++;
    if (this.errorSamples.length < MAX_SAMPLES) this.errorSamples.push(text);
  }
}

/** Runs one Worker's connections. */
export class BenchClient {
  readonly plan: ClientPlan;
  readonly stats = new Stats();
  readonly #phase: Int32Array;
  #conns: Connection[] = [];
  #timers: ReturnType<typeof setInterval>[] = [];

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
    const conns: (Connection | undefined)[] = new Array(plan.connections);
    const make = (i: number, conn: Deno.Conn | undefined) => {
      const quota = plan.quotas?.[i] ?? Infinity;
      const id = plan.firstConnection + i;
      if (plan.mode === "stream") return new StreamConnection(this, id, quota, conn!);
      if (plan.mode === "connect") return new ConnectSlot(this, id, quota);
      return new EchoConnection(this, id, quota, conn!);
    };
    if (plan.mode === "connect") {
      for (let i = 0; i < plan.connections; i++) conns[i] = make(i, undefined);
    } else {
      let next = 0;
      const opener = async () => {
        while (next < plan.connections) {
          const i = next++;
          const id = plan.firstConnection + i;
          const start = performance.now();
          try {
            const conn = await open(plan.address, plan.timeoutMs);
            this.stats.connectLatency.record((performance.now() - start) * 1000);
            this.stats.connections++;
            conns[i] = make(i, conn);
          } catch (error) {
            this.stats.error(
              "connect",
              `connection ${id}: cannot connect: ${describeNetError(error)}`,
            );
          }
        }
      };
      await Promise.all(
        Array.from({ length: Math.min(CONNECT_CONCURRENCY, plan.connections) }, opener),
      );
    }
    this.#conns = conns.filter((c): c is Connection => c !== undefined);
    return this.#conns.length;
  }

  /** Starts sending; resolves once every connection has finished. */
  async run(): Promise<void> {
    const { plan } = this;
    const watchMs = Math.max(5, Math.min(100, plan.timeoutMs / 4));
    this.#timers.push(setInterval(() => this.#watch(), watchMs));
    if (plan.ratePerConnection !== undefined) this.#startSchedule(plan.ratePerConnection);
    try {
      await Promise.all(this.#conns.map((c) => c.run()));
    } finally {
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
    const s = this.stats;
    const report = {
      messages: s.intervalMessages,
      bytes: s.intervalBytes,
      latency: s.intervalLatency.encode(),
    };
    s.intervalMessages = 0;
    s.intervalBytes = 0;
    s.intervalLatency.reset();
    return report;
  }

  report(): ClientReport {
    const s = this.stats;
    return {
      messages: s.messages,
      bytesSent: s.bytesSent,
      bytesReceived: s.bytesReceived,
      connections: s.connections,
      mismatches: s.mismatches,
      errors: s.errors,
      errorSamples: s.errorSamples,
      latency: s.latency.encode(),
      connectLatency: s.connectLatency.encode(),
      lastCompletionMs: s.lastCompletionMs,
    };
  }

  /**
   * Decides whether a connection may start another message now, and whether that
   * message is measured: 0 no, 1 yes (warmup, not measured), 2 yes (measured).
   */
  admit(conn: { quota: number }): 0 | 1 | 2 {
    const phase = this.#phase[0];
    if (phase === MEASURE) {
      if (conn.quota <= 0) return 0;
      conn.quota--;
      return 2;
    }
    return phase === WARMUP ? 1 : 0;
  }

  #watch() {
    const now = performance.now();
    const limit = this.plan.timeoutMs;
    for (const c of this.#conns) c.checkStall(now, limit);
    if (this.#phase[0] === STOP) this.stopIdle();
  }

  #startSchedule(rate: number) {
    const start = performance.now();
    const conns = this.#conns as EchoConnection[];
    conns.forEach((c, i) => c.startSchedule(start, rate, i / conns.length));
    const tick = () => {
      const now = performance.now();
      for (const c of conns) c.release(now);
    };
    this.#timers.push(setInterval(tick, 1));
  }
}

/** What every kind of connection offers the client. */
interface Connection {
  run(): Promise<void>;
  stopIfIdle(): void;
  checkStall(now: number, limitMs: number): void;
  fail(kind: ErrorKind, text: string): void;
}

/** Request/reply on one connection: closed loop, or open loop on a schedule. */
class EchoConnection implements Connection {
  quota: number;
  readonly #client: BenchClient;
  readonly #stats: Stats;
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
  // Open loop.
  #rate = 0;
  #scheduleStart = 0;
  #phaseShift = 0;
  #released = 0;
  #sent = 0;

  constructor(client: BenchClient, id: number, quota: number, conn: Deno.Conn) {
    this.#client = client;
    this.#stats = client.stats;
    this.#conn = conn;
    this.#id = id;
    this.quota = quota;
    this.#size = client.plan.sizeBytes;
    this.#pipeline = client.plan.pipeline;
    this.#offset = (id * 7919) % PERIOD;
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

  run(): Promise<void> {
    if (this.#rate === 0) this.#startClosed(performance.now(), this.#pipeline);
    else this.release(performance.now());
    this.#checkFinished();
    this.#readLoop().catch((error) => this.fail(kindOf(error), describeNetError(error)));
    return this.#finished;
  }

  startSchedule(start: number, rate: number, phaseShift: number) {
    this.#rate = rate;
    this.#scheduleStart = start;
    this.#phaseShift = phaseShift;
  }

  /** Open loop: sends the messages whose intended time has come, up to the pipeline. */
  release(now: number) {
    if (this.#done) return;
    const due = Math.floor(((now - this.#scheduleStart) / 1000) * this.#rate + this.#phaseShift);
    if (due > this.#released) this.#released = due;
    let n = 0;
    while (this.#sent < this.#released && this.#inFlight + n < this.#pipeline) {
      const admit = this.#client.admit(this);
      if (admit === 0) break;
      const intended = this.#scheduleStart + ((this.#sent - this.#phaseShift) / this.#rate) * 1000;
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
    this.fail(kindOf(error), describeNetError(error));
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
        stats.intervalBytes += 2 * size;
        stats.intervalLatency.record(us);
        if (measured === 1 && this.#client.phase === MEASURE) {
          stats.messages++;
          stats.bytesSent += size;
          stats.bytesReceived += size;
          stats.latency.record(us);
        }
      }
      stats.lastCompletionMs = performance.timeOrigin + now;
      if (this.#rate === 0) this.#startClosed(now, completed);
      else this.release(now);
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
      this.fail("stall", `connection ${this.#id}: no reply within ${limitMs}ms`);
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

/** One-way upload: writes messages back to back; anything the server sends is dropped. */
class StreamConnection implements Connection {
  quota: number;
  readonly #client: BenchClient;
  readonly #conn: Deno.Conn;
  readonly #id: number;
  readonly #offset: number;
  #writeStart = 0;
  #done = false;

  constructor(client: BenchClient, id: number, quota: number, conn: Deno.Conn) {
    this.#client = client;
    this.#conn = conn;
    this.#id = id;
    this.quota = quota;
    this.#offset = (id * 7919) % PERIOD;
  }

  async run(): Promise<void> {
    this.#drain();
    try {
      await this.#writeLoop();
    } catch (error) {
      this.fail(kindOf(error), describeNetError(error));
    }
    this.#close();
  }

  async #drain() {
    const buf = new Uint8Array(64 * 1024);
    try {
      while ((await this.#conn.read(buf)) !== null) {
        // An echo server answers; the bytes are not part of an upload.
      }
    } catch {
      // closed by us or reset; the write loop reports what matters
    }
  }

  async #writeLoop() {
    const stats = this.#client.stats;
    const size = this.#client.plan.sizeBytes;
    const bytes = pattern();
    let written = 0;
    while (!this.#done) {
      const admit = this.#client.admit(this);
      if (admit === 0) return;
      let left = size;
      this.#writeStart = performance.now();
      while (left > 0) {
        const p = (written + this.#offset) % PERIOD;
        const n = await this.#conn.write(bytes.subarray(p, p + Math.min(left, CHUNK)));
        if (this.#done) return;
        written += n;
        left -= n;
      }
      this.#writeStart = 0;
      stats.intervalMessages++;
      stats.intervalBytes += size;
      if (admit === 2 && this.#client.phase === MEASURE) {
        stats.messages++;
        stats.bytesSent += size;
        stats.lastCompletionMs = performance.timeOrigin + performance.now();
      }
    }
  }

  stopIfIdle() {}

  checkStall(now: number, limitMs: number) {
    if (!this.#done && this.#writeStart > 0 && now - this.#writeStart > limitMs) {
      this.fail("stall", `a write took longer than ${limitMs}ms`);
    }
  }

  fail(kind: ErrorKind, text: string) {
    if (this.#done) return;
    this.#client.stats.error(kind, `connection ${this.#id}: ${text}`);
    this.#close();
  }

  #close() {
    if (this.#done) return;
    this.#done = true;
    closeQuietly(this.#conn);
  }
}

/** Connection setup: open, one echoed message, close, again. */
class ConnectSlot implements Connection {
  quota: number;
  readonly #client: BenchClient;
  readonly #id: number;
  #conn: Deno.Conn | undefined;
  #opStart = 0;
  #stalled = false;
  #done = false;

  constructor(client: BenchClient, id: number, quota: number) {
    this.#client = client;
    this.#id = id;
    this.quota = quota;
  }

  async run(): Promise<void> {
    const { plan, stats } = this.#client;
    const size = plan.sizeBytes;
    const offset = (this.#id * 7919) % PERIOD;
    const bytes = pattern();
    const buf = new Uint8Array((Math.min(CHUNK, size) + 7) & ~3);
    const align = offset & 3;
    const view = buf.subarray(align, align + Math.min(CHUNK, size));
    while (!this.#done) {
      const admit = this.#client.admit(this);
      if (admit === 0) return;
      const start = performance.now();
      this.#opStart = start;
      try {
        this.#conn = await open(plan.address, plan.timeoutMs);
      } catch (error) {
        this.#fail("connect", `cannot connect: ${describeNetError(error)}`);
        return;
      }
      const connected = performance.now();
      try {
        const conn = this.#conn;
        for (let sent = 0; sent < size;) {
          const p = (sent + offset) % PERIOD;
          sent += await conn.write(bytes.subarray(p, p + Math.min(size - sent, CHUNK)));
        }
        let received = 0;
        while (received < size) {
          const n = await conn.read(view.subarray(0, Math.min(size - received, view.length)));
          if (n === null) {
            this.#fail("closed", `closed by the server after ${received} of ${size} bytes`);
            return;
          }
          const p = (received + offset) % PERIOD;
          const at = (received + offset) & 3;
          if (at !== align) {
            // Reads of odd lengths shift the alignment; compare byte by byte then.
            for (let i = 0; i < n; i++) {
              if (view[i] !== bytes[p + i]) {
                return this.#mismatch(received + i, view[i], bytes[p + i]);
              }
            }
          } else {
            const bad = firstDifference(buf, align, bytes, p, n);
            if (bad >= 0) return this.#mismatch(received + bad, buf[align + bad], bytes[p + bad]);
          }
          received += n;
        }
      } catch (error) {
        if (this.#stalled) return;
        this.#fail(kindOf(error), describeNetError(error));
        return;
      } finally {
        this.#conn?.close();
        this.#conn = undefined;
      }
      this.#opStart = 0;
      const now = performance.now();
      stats.intervalMessages++;
      stats.intervalBytes += 2 * size;
      stats.intervalLatency.record((now - connected) * 1000);
      if (admit === 2 && this.#client.phase === MEASURE) {
        stats.messages++;
        stats.connections++;
        stats.bytesSent += size;
        stats.bytesReceived += size;
        stats.latency.record((now - connected) * 1000);
        stats.connectLatency.record((connected - start) * 1000);
        stats.lastCompletionMs = performance.timeOrigin + now;
      }
    }
  }

  stopIfIdle() {}

  checkStall(now: number, limitMs: number) {
    if (!this.#done && this.#opStart > 0 && now - this.#opStart > limitMs) {
      this.#fail("stall", `no reply within ${limitMs}ms`);
    }
  }

  fail(kind: ErrorKind, text: string) {
    this.#fail(kind, text);
  }

  #mismatch(at: number, got: number, want: number) {
    if (this.#done) return;
    this.#done = true;
    this.#client.stats.mismatch(
      `connection ${this.#id}: byte ${at} of the echo is ${hex(got)}, expected ${hex(want)}`,
    );
  }

  #fail(kind: ErrorKind, text: string) {
    if (this.#done) return;
    this.#done = true;
    if (kind === "stall") this.#stalled = true;
    this.#client.stats.error(kind, `connection ${this.#id}: ${text}`);
    closeQuietly(this.#conn);
    this.#conn = undefined;
  }
}

function hex(byte: number): string {
  return `0x${byte.toString(16).padStart(2, "0")}`;
}
