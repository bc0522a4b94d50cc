/**
 * In-process servers and socket helpers for the serve and forward tests: `serve()` on a
 * free loopback port with its log events collected, reading a conn to its end, and a
 * write-half-close-read round trip.
 */

import { defaultServeOptions } from "../lib/cli/parse.ts";
import { writeAll } from "../lib/common/io.ts";
import type { LogEvent, ServeSummary } from "../lib/serve/log.ts";
import type { ServeOptions } from "../lib/serve/options.ts";
import { serve } from "../lib/serve/serve.ts";

export interface Running {
  port: number;
  events: LogEvent[];
  /** Stops accepting and drains; resolves with the summary. */
  stop(): Promise<ServeSummary>;
}

/** An in-process `tcpkit serve` on a free loopback port (a relay with `forward`). */
export async function startServer(overrides: Partial<ServeOptions> = {}): Promise<Running> {
  const events: LogEvent[] = [];
  const stop = new AbortController();
  let onListening!: (port: number) => void;
  const listening = new Promise<number>((resolve) => onListening = resolve);
  const done = serve({
    ...defaultServeOptions(),
    address: { transport: "tcp", hostname: "127.0.0.1", port: 0 },
    drainTimeoutMs: 2000,
    ...overrides,
  }, {
    stop: stop.signal,
    log: (event) => {
      events.push(event);
      if (event.event === "listening") onListening(Number(event.address.split(":").pop()));
    },
  });
  const port = await Promise.race([listening, done.then(() => -1)]);
  return {
    port,
    events,
    stop: () => {
      stop.abort();
      return done;
    },
  };
}

/** Reads until EOF or `limit` bytes. */
export async function readAll(conn: Deno.Conn, limit = Infinity): Promise<Uint8Array> {
  const chunks: Uint8Array[] = [];
  let total = 0;
  const buf = new Uint8Array(64 * 1024);
  while (total < limit) {
    const n = await conn.read(buf);
    if (n === null) break;
    chunks.push(buf.slice(0, n));
    total += n;
  }
  const out = new Uint8Array(total);
  let offset = 0;
  for (const c of chunks) {
    out.set(c, offset);
    offset += c.length;
  }
  return out;
}

/** Sends `data`, half-closes, and returns everything the server sent back. */
export async function roundTrip(port: number, data: Uint8Array): Promise<Uint8Array> {
  const conn = await Deno.connect({ hostname: "127.0.0.1", port });
  try {
    const reading = readAll(conn);
    await writeAll(conn, data);
    await conn.closeWrite();
    return await reading;
  } finally {
    conn.close();
  }
}
