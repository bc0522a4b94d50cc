/**
 * Test helpers for `tcpkit bench`: small in-process TCP servers on 127.0.0.1 port 0 that
 * misbehave on purpose (drop a byte, flip a byte, close early, never answer), so the
 * end-to-end tests can check that bench reports them instead of a clean result.
 */

/** How a faulty server treats the byte stream it receives. */
export type Fault = "drop" | "flip" | "close" | "silent";

/** A running faulty server; `close()` ends the listener and every connection. */
export interface FaultyServer {
  port: number;
  close(): Promise<void>;
}

/** Byte position (in each connection's stream) where the fault happens. */
const FAULT_AT = 100;

/** Starts an echo server that faults at byte 100 of every connection. */
export function startFaultyServer(fault: Fault): FaultyServer {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const conns = new Set<Deno.Conn>();
  const handlers: Promise<void>[] = [];
  const accepting = (async () => {
    for await (const conn of listener) {
      conns.add(conn);
      handlers.push(
        handle(conn, fault).finally(() => {
          conns.delete(conn);
          try {
            conn.close();
          } catch {
            // already closed
          }
        }),
      );
    }
  })().catch(() => {});
  return {
    port: (listener.addr as Deno.NetAddr).port,
    async close() {
      listener.close();
      await accepting;
      for (const conn of conns) {
        try {
          conn.close();
        } catch {
          // already closed
        }
      }
      await Promise.all(handlers);
    },
  };
}

async function handle(conn: Deno.Conn, fault: Fault) {
  (conn as Deno.TcpConn).setNoDelay(true);
  const buf = new Uint8Array(64 * 1024);
  let seen = 0;
  try {
    while (true) {
      const n = await conn.read(buf);
      if (n === null) return;
      let out = buf.subarray(0, n);
      const at = FAULT_AT - seen;
      seen += n;
      if (fault === "silent") continue;
      if (at >= 0 && at < n) {
        if (fault === "close") {
          await writeAll(conn, out.subarray(0, at));
          return;
        }
        if (fault === "flip") out[at] ^= 0xff;
        if (fault === "drop") {
          out = Uint8Array.from([...out.subarray(0, at), ...out.subarray(at + 1)]);
        }
      }
      await writeAll(conn, out);
    }
  } catch {
    // the client went away
  }
}

async function writeAll(conn: Deno.Conn, data: Uint8Array) {
  for (let offset = 0; offset < data.length;) offset += await conn.write(data.subarray(offset));
}
