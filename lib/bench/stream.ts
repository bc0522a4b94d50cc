/**
 * The stream strategy of `tcpkit bench` (`--mode stream`): a one-way upload that writes
 * messages back to back; anything the server sends back is read and dropped.
 */

import { describeNetError } from "../common/errors.ts";
import { formatDuration } from "../common/format.ts";
import { closeQuietly } from "../common/io.ts";
import type { ErrorKind } from "./report.ts";
import { CHUNK, pattern, patternOffset, PERIOD } from "./pattern.ts";
import { type Connection, type Driver, errorKind, MEASURE } from "./strategy.ts";

/** One-way upload: writes messages back to back; anything the server sends is dropped. */
export class StreamConnection implements Connection {
  /** Messages left to send while measuring, or UNLIMITED (strategy.ts). */
  quota: number;
  readonly #client: Driver;
  readonly #conn: Deno.Conn;
  readonly #id: number;
  readonly #offset: number;
  #writeStart = 0;
  #done = false;

  constructor(client: Driver, id: number, quota: number, conn: Deno.Conn) {
    this.#client = client;
    this.#conn = conn;
    this.#id = id;
    this.quota = quota;
    this.#offset = patternOffset(id);
  }

  async run(): Promise<void> {
    this.#drain();
    try {
      await this.#writeLoop();
    } catch (error) {
      this.fail(errorKind(error), describeNetError(error));
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
      // Warmup counts in a tally that is thrown away, on the same path (see Tally).
      const measuring = this.#client.phase === MEASURE;
      const tally = stats.tally(admit === 2 && measuring);
      tally.messages++;
      tally.lastCompletionMs = performance.timeOrigin + performance.now();
    }
  }

  stopIfIdle() {}

  checkStall(now: number, limitMs: number) {
    if (!this.#done && this.#writeStart > 0 && now - this.#writeStart > limitMs) {
      this.fail("stall", `a write took longer than ${formatDuration(limitMs)}`);
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
