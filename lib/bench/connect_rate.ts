/**
 * The connection-setup strategy of `tcpkit bench` (`--mode connect`): open a
 * connection, one echoed message, close, again. Measures the connect time and the
 * round trip of the first message separately.
 */

import { dial } from "../common/dial.ts";
import { describeNetError } from "../common/errors.ts";
import { formatDuration } from "../common/format.ts";
import { closeQuietly } from "../common/io.ts";
import type { ErrorKind } from "./report.ts";
import { CHUNK, firstDifference, hex, pattern, patternOffset, PERIOD, words } from "./pattern.ts";
import { type Connection, dialFailure, type Driver, errorKind, MEASURE } from "./strategy.ts";

/** Connection setup: open, one echoed message, close, again. */
export class ConnectSlot implements Connection {
  /** Messages left to send while measuring, or UNLIMITED (strategy.ts). */
  quota: number;
  readonly #client: Driver;
  readonly #id: number;
  #conn: Deno.Conn | undefined;
  #opStart = 0;
  #stalled = false;
  #done = false;

  constructor(client: Driver, id: number, quota: number) {
    this.#client = client;
    this.#id = id;
    this.quota = quota;
  }

  async run(): Promise<void> {
    const { plan, stats } = this.#client;
    const size = plan.sizeBytes;
    const offset = patternOffset(this.#id);
    const bytes = pattern();
    const bytes32 = words(bytes);
    const buf = new Uint8Array((Math.min(CHUNK, size) + 7) & ~3);
    const buf32 = words(buf);
    const align = offset & 3;
    const view = buf.subarray(align, align + Math.min(CHUNK, size));
    while (!this.#done) {
      const admit = this.#client.admit(this);
      if (admit === 0) return;
      const start = performance.now();
      this.#opStart = start;
      try {
        this.#conn = await dial(plan.address, plan.timeoutMs, plan.tls);
      } catch (error) {
        this.#fail("connect", `cannot connect: ${dialFailure(error)}`);
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
            const bad = firstDifference(buf, align, bytes, p, n, buf32, bytes32);
            if (bad >= 0) return this.#mismatch(received + bad, buf[align + bad], bytes[p + bad]);
          }
          received += n;
        }
      } catch (error) {
        if (this.#stalled) return;
        this.#fail(errorKind(error), describeNetError(error));
        return;
      } finally {
        this.#conn?.close();
        this.#conn = undefined;
      }
      this.#opStart = 0;
      const now = performance.now();
      // Warmup counts in a tally that is thrown away, on the same path (see Tally).
      const measured = admit === 2 && this.#client.phase === MEASURE;
      const tally = stats.tally(measured);
      tally.messages++;
      tally.connections++;
      stats.recordLatency((now - connected) * 1000, measured);
      tally.connectLatency.record((connected - start) * 1000);
      tally.lastCompletionMs = performance.timeOrigin + now;
    }
  }

  stopIfIdle() {}

  checkStall(now: number, limitMs: number) {
    if (!this.#done && this.#opStart > 0 && now - this.#opStart > limitMs) {
      this.#fail("stall", `no reply within ${formatDuration(limitMs)}`);
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
