/**
 * Latency statistics for `tcpkit bench` (pure, no I/O): an HdrHistogram of
 * microsecond latencies that records, merges across Workers, summarises into
 * percentiles, buckets for a terminal histogram, and encodes to the standard
 * compressed base64 form so results from several runs or machines can be merged later.
 *
 * Uses the JavaScript implementation of `hdr-histogram-js` (not its WebAssembly one),
 * which needs no extra permission or initialisation and works the same in Workers.
 * Recording is on every bench message's path, so values below {@linkcode DIRECT_US} are
 * first counted in a plain array (one increment) and moved into the HdrHistogram, value by
 * value with their counts, before anything reads it: the same histogram as recording each
 * value directly, at a fraction of the cost (hdr-histogram-js computes each bucket with
 * `Math.log2` and `Math.pow`).
 */

import {
  decodeFromCompressedBase64,
  encodeIntoCompressedBase64,
  Float64Histogram,
} from "hdr-histogram-js";
import type { JsHistogram } from "hdr-histogram-js";

/** Largest latency tracked: one hour in microseconds (larger values are clamped). */
export const MAX_TRACKABLE_US = 3_600_000_000;
/** Significant decimal digits kept: 3 means values are exact to 0.1%. */
export const SIGNIFICANT_DIGITS = 3;

/** Percentile summary of a latency distribution, in microseconds. */
export interface LatencySummary {
  /** Number of recorded values. */
  count: number;
  min: number;
  p50: number;
  p90: number;
  p99: number;
  p999: number;
  max: number;
  mean: number;
}

/** One bar of a terminal histogram: values in `(fromUs, toUs]`. */
export interface LatencyBin {
  fromUs: number;
  toUs: number;
  count: number;
}

/**
 * Latencies below this many microseconds (65.5 ms) are counted in a plain array before
 * they reach the HdrHistogram; larger ones go to it at once.
 */
export const DIRECT_US = 65_536;
/** Pending direct counts are moved before any can overflow its Uint32 slot. */
const FLUSH_AT = 2 ** 31;

/** A latency histogram in whole microseconds (values below 1 are recorded as 1). */
export class LatencyHistogram {
  readonly #h: JsHistogram;
  /** Counts not yet in `#h`, by value (allocated on the first record). */
  #direct: Uint32Array | undefined;
  #pending = 0;
  /** Lowest and highest value with a pending count (bounds the flush's scan). */
  #low = DIRECT_US;
  #high = 0;

  constructor(histogram?: JsHistogram) {
    this.#h = histogram ?? new Float64Histogram(1, MAX_TRACKABLE_US, SIGNIFICANT_DIGITS);
  }

  /** Decodes a histogram made by {@linkcode LatencyHistogram.encode}. */
  static decode(encoded: string): LatencyHistogram {
    const h = decodeFromCompressedBase64(encoded, 64, false) as unknown as JsHistogram;
    const copy = new LatencyHistogram();
    copy.#h.add(h);
    return copy;
  }

  /** Records one latency. Fractions are rounded; out-of-range values are clamped. */
  record(us: number): void {
    const v = us < 1 ? 1 : us > MAX_TRACKABLE_US ? MAX_TRACKABLE_US : Math.round(us);
    if (v >= DIRECT_US) {
      this.#h.recordValue(v);
      return;
    }
    const direct = this.#direct ??= new Uint32Array(DIRECT_US);
    direct[v]++;
    if (v < this.#low) this.#low = v;
    if (v > this.#high) this.#high = v;
    if (++this.#pending === FLUSH_AT) this.#flush();
  }

  /** Moves the pending direct counts into the HdrHistogram. */
  #flush(): void {
    if (this.#pending === 0) return;
    const direct = this.#direct!;
    for (let v = this.#low; v <= this.#high; v++) {
      const n = direct[v];
      if (n === 0) continue;
      this.#h.recordValueWithCount(v, n);
      direct[v] = 0;
    }
    this.#pending = 0;
    this.#low = DIRECT_US;
    this.#high = 0;
  }

  /** The HdrHistogram with every recorded value in it. */
  get #all(): JsHistogram {
    this.#flush();
    return this.#h;
  }

  /** Records the same latency `count` times. */
  recordMany(us: number, count: number): void {
    if (count <= 0) return;
    const v = us < 1 ? 1 : us > MAX_TRACKABLE_US ? MAX_TRACKABLE_US : Math.round(us);
    this.#h.recordValueWithCount(v, count);
  }

  /** Adds every value of `other` to this histogram. */
  merge(other: LatencyHistogram): void {
    if (other.count > 0) this.#all.add(other.#all);
  }

  /** Forgets every value (for interval histograms). */
  reset(): void {
    this.#direct?.fill(0, this.#low, this.#high + 1);
    this.#pending = 0;
    this.#low = DIRECT_US;
    this.#high = 0;
    this.#h.reset();
  }

  get count(): number {
    return this.#h.totalCount + this.#pending;
  }

  /** Value at `percentile` (0-100), or 0 when empty. */
  percentile(percentile: number): number {
    return this.count === 0 ? 0 : this.#all.getValueAtPercentile(percentile);
  }

  /** The percentile summary, or undefined when nothing was recorded. */
  summary(): LatencySummary | undefined {
    if (this.count === 0) return undefined;
    const h = this.#all;
    return {
      count: h.totalCount,
      min: h.minNonZeroValue,
      p50: h.getValueAtPercentile(50),
      p90: h.getValueAtPercentile(90),
      p99: h.getValueAtPercentile(99),
      p999: h.getValueAtPercentile(99.9),
      max: h.maxValue,
      mean: Math.round(h.mean * 10) / 10,
    };
  }

  /**
   * Counts in `bins` log-spaced ranges from the smallest to the largest value, for a
   * terminal histogram. Empty when nothing was recorded.
   */
  bins(bins = 8): LatencyBin[] {
    if (this.count === 0) return [];
    const h = this.#all;
    const lo = h.minNonZeroValue;
    const hi = h.maxValue;
    const edges: number[] = [];
    for (let i = 1; i <= bins; i++) {
      edges.push(i === bins ? hi : Math.round(lo * (hi / lo) ** (i / bins)));
    }
    const unique = edges.filter((e, i) => i === 0 || e > edges[i - 1]);
    const counts = new Array<number>(unique.length).fill(0);
    for (let i = 0; i < h.countsArrayLength; i++) {
      const n = h.getCountAtIndex(i);
      if (n === 0) continue;
      const value = h.valueFromIndex(i);
      let b = unique.findIndex((edge) => value <= edge);
      if (b < 0) b = unique.length - 1;
      counts[b] += n;
    }
    return unique.map((toUs, i) => ({
      fromUs: i === 0 ? lo : unique[i - 1],
      toUs,
      count: counts[i],
    }));
  }

  /** The standard HdrHistogram compressed base64 encoding (values in microseconds). */
  encode(): string {
    return encodeIntoCompressedBase64(this.#all as never);
  }
}

/** Per-second rate of `count` over `durationMs`; 0 for an empty window. */
export function perSecond(count: number, durationMs: number): number {
  return durationMs > 0 ? count / (durationMs / 1000) : 0;
}

/** What one progress interval measured, summed over Workers. */
export interface IntervalStats {
  /** Seconds since the run began (warmup included) at the end of the interval. */
  elapsedS: number;
  durationMs: number;
  /** Messages completed (echo), writes (stream) or connections (connect). */
  messages: number;
  /** p99 latency of the interval's messages; undefined when none completed or not measured. */
  p99Us: number | undefined;
  /** Busy share (0 to 1) of the client's cores over the interval; undefined when unknown. */
  cpuBusy: number | undefined;
  /** Whether the interval belongs to the warmup. */
  warmup: boolean;
}
