/**
 * The intervals of a `tcpkit bench` run: asks the client Workers for their interval
 * counters, sums them, and prints one progress line per `--interval` on stderr (none with
 * `--quiet`). The main thread cuts an interval at each phase change (end of warmup, end
 * of the run), so every interval belongs to exactly one phase and the last, partial
 * interval is printed too; a periodic line that would fall just before a planned cut is
 * left to the cut. Each cut also yields the Workers' CPU time, which the report's client
 * CPU is taken from.
 */

import type { IntervalReport, ThreadCpu } from "./client.ts";
import { MIN_CPU_WINDOW_MS, renderProgress } from "./report.ts";
import { LatencyHistogram } from "./stats.ts";

/** A client Worker as the intervals see it. */
export interface IntervalSource {
  post(message: { type: "tick"; seq: number }): void;
  onInterval: (reply: { seq: number; interval: IntervalReport }) => void;
}

/** How progress is shown. */
export interface ProgressOptions {
  intervalMs: number;
  /** Count intervals (for the CPU figures) but print nothing. */
  quiet: boolean;
  mode: "echo" | "stream" | "connect";
  /** Over TLS (connect mode counts handshakes). */
  tls?: boolean;
  sizeBytes: number;
  /** Cores the client Workers can use, for the `cpu` share. */
  cores: number;
  print: (line: string) => void;
}

interface Pending {
  replies: number;
  messages: number;
  latency: LatencyHistogram;
  cpu: ThreadCpu;
  endMs: number;
  durationMs: number;
  warmup: boolean;
  done: (cpu: ThreadCpu) => void;
}

/** Sum of two CPU times. */
export function addCpu(a: ThreadCpu, b: ThreadCpu): ThreadCpu {
  return { userUs: a.userUs + b.userUs, systemUs: a.systemUs + b.systemUs };
}

/** The run's intervals. Times are absolute ms (performance.timeOrigin + now). */
export class Progress {
  readonly #sources: IntervalSource[];
  readonly #options: ProgressOptions;
  #seq = 0;
  #runStartMs = 0;
  #lastCutMs = 0;
  #nextCutMs = Infinity;
  #warmup = false;
  /** Summed CPU time of the Workers at the end of the last completed interval. */
  #lastCpu: ThreadCpu = { userUs: 0, systemUs: 0 };
  #timer: ReturnType<typeof setTimeout> | undefined;
  #pending = new Map<number, Pending>();
  #stopped = false;

  constructor(sources: IntervalSource[], options: ProgressOptions) {
    this.#sources = sources;
    this.#options = options;
    for (const s of sources) s.onInterval = (reply) => this.#collect(reply);
  }

  /**
   * Starts the first interval at `startMs`, in warmup or not; `cpu` is the Workers'
   * summed CPU time then.
   */
  start(startMs: number, warmup: boolean, cpu: ThreadCpu): void {
    this.#runStartMs = this.#lastCutMs = startMs;
    this.#warmup = warmup;
    this.#lastCpu = cpu;
    this.#schedule();
  }

  /** When the next cut is planned (absolute ms; Infinity when unknown). */
  expectCut(atMs: number): void {
    this.#nextCutMs = atMs;
  }

  /**
   * Ends the current interval at `atMs` (the phase changed: warmup ended, or the run
   * did); the intervals after it are not warmup. Resolves to the Workers' summed CPU
   * time at the cut.
   */
  cut(atMs: number): Promise<ThreadCpu> {
    clearTimeout(this.#timer);
    const cpu = this.#tick(atMs);
    this.#warmup = false;
    this.#nextCutMs = Infinity;
    this.#schedule();
    return cpu;
  }

  /** No more intervals or lines. */
  stop(): void {
    this.#stopped = true;
    clearTimeout(this.#timer);
    for (const s of this.#sources) s.onInterval = () => {};
  }

  #schedule() {
    if (this.#options.quiet || this.#stopped) return;
    const dueMs = this.#lastCutMs + this.#options.intervalMs;
    const now = performance.timeOrigin + performance.now();
    this.#timer = setTimeout(() => {
      const at = performance.timeOrigin + performance.now();
      // A planned cut within a quarter interval ends this one: no sliver of a line.
      if (this.#nextCutMs - at < this.#options.intervalMs / 4) return;
      this.#tick(at);
      this.#schedule();
    }, Math.max(0, Math.ceil(dueMs - now)));
  }

  #tick(atMs: number): Promise<ThreadCpu> {
    const seq = ++this.#seq;
    const entry = {
      replies: 0,
      messages: 0,
      latency: new LatencyHistogram(),
      cpu: { userUs: 0, systemUs: 0 },
      endMs: atMs,
      durationMs: atMs - this.#lastCutMs,
      warmup: this.#warmup,
      done: (_: ThreadCpu) => {},
    };
    const done = new Promise<ThreadCpu>((resolve) => entry.done = resolve);
    this.#pending.set(seq, entry);
    this.#lastCutMs = atMs;
    for (const s of this.#sources) s.post({ type: "tick", seq });
    return done;
  }

  #collect(reply: { seq: number; interval: IntervalReport }) {
    const entry = this.#pending.get(reply.seq);
    if (!entry) return;
    const { interval } = reply;
    entry.replies++;
    entry.messages += interval.messages;
    entry.cpu = addCpu(entry.cpu, interval.cpu);
    entry.latency.merge(LatencyHistogram.decode(interval.latency));
    if (entry.replies < this.#sources.length) return;
    this.#pending.delete(reply.seq);
    const options = this.#options;
    const cpuUs = entry.cpu.userUs + entry.cpu.systemUs -
      (this.#lastCpu.userUs + this.#lastCpu.systemUs);
    this.#lastCpu = entry.cpu;
    // Under a millisecond is a cut right after a line (or an interrupted start): no rate.
    if (!options.quiet && !this.#stopped && entry.durationMs >= 1) {
      options.print(renderProgress(options.mode, options.sizeBytes, {
        elapsedS: (entry.endMs - this.#runStartMs) / 1000,
        durationMs: entry.durationMs,
        messages: entry.messages,
        p99Us: entry.latency.count > 0 ? entry.latency.percentile(99) : undefined,
        cpuBusy: entry.durationMs >= MIN_CPU_WINDOW_MS
          ? cpuUs / 1000 / (entry.durationMs * options.cores)
          : undefined,
        warmup: entry.warmup,
      }, options.tls));
    }
    entry.done(entry.cpu);
  }
}
