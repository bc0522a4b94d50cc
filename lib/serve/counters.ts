/**
 * Server-wide counters kept in a SharedArrayBuffer, so every accepting Worker shares
 * one connection limit, one connection numbering and one summary.
 */

const ACTIVE = 0;
const SERVED = 1;
const REFUSED = 2;
const PEAK = 3;
const BYTES_IN = 4;
const BYTES_OUT = 5;
const SLOTS = 6;

export class ServeCounters {
  readonly buffer: SharedArrayBuffer;
  #cells: BigInt64Array;

  constructor(buffer = new SharedArrayBuffer(SLOTS * 8)) {
    this.buffer = buffer;
    this.#cells = new BigInt64Array(buffer);
  }

  /**
   * Claims a connection slot under `max`. Returns the connection's number (from 1),
   * or 0 when the server is full (the refusal is counted).
   */
  tryOpen(max: number): number {
    const active = Number(Atomics.add(this.#cells, ACTIVE, 1n)) + 1;
    if (active > max) {
      Atomics.sub(this.#cells, ACTIVE, 1n);
      Atomics.add(this.#cells, REFUSED, 1n);
      return 0;
    }
    let peak = Atomics.load(this.#cells, PEAK);
    while (BigInt(active) > peak) {
      const seen = Atomics.compareExchange(this.#cells, PEAK, peak, BigInt(active));
      if (seen === peak) break;
      peak = seen;
    }
    return Number(Atomics.add(this.#cells, SERVED, 1n)) + 1;
  }

  /** Counts a connection refused before it could claim a slot (e.g. no file descriptors). */
  refused(): void {
    Atomics.add(this.#cells, REFUSED, 1n);
  }

  /** Releases a slot and adds the connection's traffic. */
  close(bytesIn: number, bytesOut: number): void {
    Atomics.sub(this.#cells, ACTIVE, 1n);
    Atomics.add(this.#cells, BYTES_IN, BigInt(bytesIn));
    Atomics.add(this.#cells, BYTES_OUT, BigInt(bytesOut));
  }

  get active(): number {
    return Number(Atomics.load(this.#cells, ACTIVE));
  }

  snapshot() {
    const get = (slot: number) => Number(Atomics.load(this.#cells, slot));
    return {
      served: get(SERVED),
      refused: get(REFUSED),
      peakConcurrent: get(PEAK),
      bytesIn: get(BYTES_IN),
      bytesOut: get(BYTES_OUT),
    };
  }
}
