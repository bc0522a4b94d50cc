/**
 * `serve --forward` on real loopback sockets, in-process: byte-exact relaying with
 * half-close both ways, upstreams that refuse, time out or reset, slow readers on either
 * side (backpressure), idle timeout and drain on the pair, unix targets, Workers and the
 * dump; and the relay core on stand-in sockets, where "never more than one buffer ahead of
 * its writes" can be checked exactly.
 */

import { assert, assertEquals, assertGreater, assertLess, assertMatch } from "@std/assert";
import net from "node:net";
import type { Address } from "../lib/common/address.ts";
import { closeQuietly, writeAll } from "../lib/common/io.ts";
import { sleep, waitSettled } from "../lib/common/time.ts";
import { relay, type RelayConn } from "../lib/serve/forward.ts";
import { type LogEvent, renderLogEvent } from "../lib/serve/log.ts";
import { MAX_BUFFER } from "../lib/serve/modes.ts";
import type { ForwardOptions, ServeOptions } from "../lib/serve/options.ts";
import { randomBytes } from "./helpers.ts";
import { readAll, roundTrip, startServer } from "./serve_helpers.ts";

const LOOPBACK = { transport: "tcp", hostname: "127.0.0.1" } as const;

/** A relay to `target`. */
function startRelay(
  target: Address,
  extra: Partial<ServeOptions> & Partial<Omit<ForwardOptions, "tls">> = {},
) {
  const { connectTimeoutMs = 5000, dump, ...overrides } = extra;
  return startServer({
    mode: "forward",
    forward: { target, connectTimeoutMs, dump },
    ...overrides,
  });
}

/** A relay in front of a tcpkit echo server; stops both. */
async function echoBehindRelay(extra: Partial<ServeOptions> = {}) {
  const upstream = await startServer();
  const relay = await startRelay({ ...LOOPBACK, port: upstream.port }, extra);
  return {
    upstream,
    relay,
    async stop() {
      const relaySummary = await relay.stop();
      const upstreamSummary = await upstream.stop();
      return { relaySummary, upstreamSummary };
    },
  };
}

/** A listener whose every connection `handler` serves (closed afterwards); stop() waits. */
function startUpstream(handler: (conn: Deno.Conn) => Promise<void>) {
  const listener = Deno.listen({ ...LOOPBACK, port: 0 });
  const handled: Promise<void>[] = [];
  const accepting = (async () => {
    for await (const conn of listener) {
      handled.push(handler(conn).catch(() => {}).finally(() => closeQuietly(conn)));
    }
  })();
  return {
    port: listener.addr.port,
    async stop() {
      listener.close();
      await accepting;
      await Promise.all(handled);
    },
  };
}

/** Reads until EOF or a reset; the bytes read (a reset is a way to end, here). */
async function readToEnd(conn: Deno.Conn): Promise<{ bytes: number; reset: boolean }> {
  const buf = new Uint8Array(64 * 1024);
  let bytes = 0;
  try {
    while (true) {
      const n = await conn.read(buf);
      if (n === null) return { bytes, reset: false };
      bytes += n;
    }
  } catch (error) {
    if (error instanceof Deno.errors.ConnectionReset) return { bytes, reset: true };
    throw error;
  }
}

function closes(events: LogEvent[]) {
  return events.flatMap((e) => e.event === "close" ? [e] : []);
}

/** A port nothing listens on (bound a moment ago, then released). */
function closedPort(): number {
  const listener = Deno.listen({ ...LOOPBACK, port: 0 });
  listener.close();
  return listener.addr.port;
}

/**
 * Writes `chunk` to `conn` until the writes stop making progress (the peer does not read)
 * for `quietMs`, or `limit` bytes are out; resolves with the bytes written. The write
 * left pending is abandoned to the caller's close.
 */
async function writeUntilStalled(conn: Deno.Conn, limit: number, quietMs = 400) {
  const chunk = new Uint8Array(256 * 1024).fill(0x42);
  let written = 0;
  let lastProgress = performance.now();
  const pump = (async () => {
    while (written < limit) {
      written += await conn.write(chunk);
      lastProgress = performance.now();
    }
  })().catch(() => {});
  while (written < limit && performance.now() - lastProgress < quietMs) await sleep(50);
  return { written, pump };
}

Deno.test("forward: 50 concurrent clients, random binary, byte-exact both ways with half-close", async () => {
  const pair = await echoBehindRelay();
  const payloads = Array.from({ length: 50 }, (_, i) => randomBytes(1 + i * 20_011));
  const echoed = await Promise.all(payloads.map((p) => roundTrip(pair.relay.port, p)));
  for (let i = 0; i < payloads.length; i++) assertEquals(echoed[i], payloads[i], `client ${i}`);
  const { relaySummary } = await pair.stop();
  const total = payloads.reduce((n, p) => n + p.length, 0);
  assertEquals([relaySummary.served, relaySummary.bytesIn, relaySummary.bytesOut], [
    50,
    total,
    total,
  ]);
  assertEquals(relaySummary.upstream, `127.0.0.1:${pair.upstream.port}`);
  const ends = closes(pair.relay.events);
  assertEquals(ends.length, 50);
  for (const end of ends) {
    // The echo server ends its side only after the client's EOF reached it through the relay.
    assertEquals(end.reason, "client closed", JSON.stringify(end));
    assertEquals(end.upstream, `127.0.0.1:${pair.upstream.port}`);
    assertEquals(end.bytesIn, end.bytesOut);
  }
});

Deno.test("forward: the upstream half-closes first; the client still sends and it all arrives", async () => {
  let received: Uint8Array | undefined;
  const upstream = startUpstream(async (conn) => {
    await writeAll(conn, new TextEncoder().encode("banner\n"));
    await conn.closeWrite(); // nothing more from the upstream, but it keeps reading
    received = await readAll(conn);
  });
  const relay = await startRelay({ ...LOOPBACK, port: upstream.port });
  const client = await Deno.connect({ ...LOOPBACK, port: relay.port });
  // The client sees the upstream's EOF while its own side is still open...
  assertEquals(new TextDecoder().decode(await readAll(client)), "banner\n");
  // ...and can go on sending through the relay.
  const data = randomBytes(3 * 1024 * 1024);
  await writeAll(client, data);
  await client.closeWrite();
  assertEquals(await readAll(client), new Uint8Array()); // the pair closes once both are done
  client.close();
  await relay.stop();
  await upstream.stop();
  assertEquals(received, data);
  const [end] = closes(relay.events);
  assertEquals([end.reason, end.bytesIn, end.bytesOut], ["upstream closed", data.length, 7]);
});

Deno.test("forward: an upstream that refuses closes the client, is logged, and the server goes on", async () => {
  const port = closedPort();
  const relay = await startRelay({ ...LOOPBACK, port });
  for (let i = 0; i < 2; i++) {
    const client = await Deno.connect({ ...LOOPBACK, port: relay.port });
    assertEquals((await readToEnd(client)).bytes, 0);
    client.close();
  }
  const summary = await relay.stop();
  assertEquals(summary.served, 2);
  for (const end of closes(relay.events)) {
    assertEquals([end.reason, end.error], ["upstream unreachable", "connection refused"]);
    assertEquals(
      renderLogEvent(end, "text", new Date()).split(";")[0],
      `[#${end.id}] ${end.peer} -> 127.0.0.1:${port} closed: upstream unreachable (connection refused)`,
    );
  }
});

Deno.test("forward: an upstream that never answers times out after --connect-timeout", async () => {
  // A listener that never accepts, its backlog full: further SYNs are dropped, so a connect
  // neither succeeds nor fails.
  const silent = Deno.listen({ ...LOOPBACK, port: 0 });
  const queued: Deno.Conn[] = [];
  try {
    while (true) {
      try {
        queued.push(
          await Deno.connect({
            ...LOOPBACK,
            port: silent.addr.port,
            signal: AbortSignal.timeout(300),
          }),
        );
      } catch {
        break; // the backlog is full
      }
      if (queued.length > 5000) throw new Error("the backlog never filled");
    }
    const relay = await startRelay({ ...LOOPBACK, port: silent.addr.port }, {
      connectTimeoutMs: 200,
    });
    const client = await Deno.connect({ ...LOOPBACK, port: relay.port });
    await writeAll(client, new Uint8Array([1, 2, 3])); // waits unread: the upstream is not there
    await readToEnd(client);
    client.close();
    await relay.stop();
    const [end] = closes(relay.events);
    assertEquals([end.reason, end.error, end.bytesIn], ["upstream unreachable", "timed out", 0]);
  } finally {
    queued.forEach((c) => c.close());
    silent.close();
  }
});

Deno.test("forward: an upstream reset mid-stream closes the client at once and is logged", async () => {
  // node:net can reset (SO_LINGER 0); Deno.Conn cannot.
  let got = 0;
  const upstream = net.createServer((socket) => {
    socket.on("data", (data) => {
      got += data.length;
      if (got >= 100_000) socket.resetAndDestroy();
    });
    socket.on("error", () => {});
  });
  await new Promise<void>((resolve) => upstream.listen(0, "127.0.0.1", resolve));
  const port = (upstream.address() as net.AddressInfo).port;
  const relay = await startRelay({ ...LOOPBACK, port });
  const client = await Deno.connect({ ...LOOPBACK, port: relay.port });
  // Enough for the upstream to reset; then the client only waits, so only the relay's
  // closing it can end its read.
  await writeAll(client, randomBytes(100_000));
  const ended = readToEnd(client);
  assert(await waitSettled(ended, 10_000), "the client was left open");
  assertEquals((await ended).bytes, 0);
  client.close();
  await relay.stop();
  await new Promise((resolve) => upstream.close(resolve));
  const [closed] = closes(relay.events);
  assertEquals(closed.reason, "reset by upstream");
  assertGreater(closed.bytesIn, 0);
});

Deno.test("forward: a client reset closes the upstream at once and is logged", async () => {
  const arrived = Promise.withResolvers<void>();
  let upstreamEnd: { bytes: number; reset: boolean } | undefined;
  const upstream = startUpstream(async (conn) => {
    const first = await readAll(conn, 1000);
    arrived.resolve();
    upstreamEnd = await readToEnd(conn);
    upstreamEnd.bytes += first.length;
  });
  const relay = await startRelay({ ...LOOPBACK, port: upstream.port });
  const client = net.connect(relay.port, "127.0.0.1");
  client.on("error", () => {});
  await new Promise<void>((resolve) => client.on("connect", resolve));
  client.write(new Uint8Array(1000));
  await arrived.promise;
  client.resetAndDestroy();
  await relay.stop(); // the pair is gone already: no drain wait
  await upstream.stop();
  assertEquals(upstreamEnd?.bytes, 1000); // then its end: the relay closed it
  assertEquals(closes(relay.events).map((e) => e.reason), ["reset by peer"]);
});

Deno.test("forward: a client that does not read stalls the upstream, not the relay's memory", async () => {
  const done = Promise.withResolvers<void>();
  let stalled: { written: number; pump: Promise<void> } | undefined;
  const upstream = startUpstream(async (conn) => {
    stalled = await writeUntilStalled(conn, 1024 ** 3);
    done.resolve();
    await stalled.pump;
  });
  const relay = await startRelay({ ...LOOPBACK, port: upstream.port });
  const client = await Deno.connect({ ...LOOPBACK, port: relay.port });
  await done.promise;
  // Kernel socket buffers on both hops plus one relay buffer: far under the 1 GiB offered.
  assertLess(stalled!.written, 64 * 1024 ** 2, `${stalled!.written} bytes went out`);
  // The slow reader reads now: what was held back arrives, nothing lost.
  const got = await readAll(client, stalled!.written);
  assertGreater(got.length, stalled!.written - 1);
  client.close();
  await relay.stop();
  await upstream.stop();
});

Deno.test("forward: an upstream that does not read stalls the client, not the relay's memory", async () => {
  const reading = Promise.withResolvers<void>();
  const upstream = startUpstream(async (conn) => {
    await reading.promise; // reads nothing until told
    await readToEnd(conn);
  });
  const relay = await startRelay({ ...LOOPBACK, port: upstream.port });
  const client = await Deno.connect({ ...LOOPBACK, port: relay.port });
  const stalled = await writeUntilStalled(client, 1024 ** 3);
  assertLess(stalled.written, 64 * 1024 ** 2, `${stalled.written} bytes went out`);
  reading.resolve();
  client.close();
  await stalled.pump;
  await relay.stop();
  await upstream.stop();
});

Deno.test("forward: idle timeout closes a silent pair (and its upstream); drain closes the rest", async () => {
  let upstreamSaw: Promise<{ bytes: number; reset: boolean }>[] = [];
  const upstream = startUpstream(async (conn) => {
    const end = readToEnd(conn);
    upstreamSaw.push(end);
    await end;
  });
  const relay = await startRelay({ ...LOOPBACK, port: upstream.port }, {
    idleTimeoutMs: 300,
    drainTimeoutMs: 200,
  });
  const idle = await Deno.connect({ ...LOOPBACK, port: relay.port });
  assertEquals((await readToEnd(idle)).bytes, 0); // closed by the relay after 300 ms
  idle.close();
  const busy = await Deno.connect({ ...LOOPBACK, port: relay.port });
  for (let i = 0; i < 6; i++) {
    await writeAll(busy, new Uint8Array([i]));
    await sleep(100);
  }
  await relay.stop(); // busy is still open: closed when the drain ends
  assertEquals((await readToEnd(busy)).bytes, 0);
  busy.close();
  await upstream.stop();
  assertEquals((await Promise.all(upstreamSaw)).map((s) => s.bytes), [0, 6]);
  assertEquals(closes(relay.events).map((e) => e.reason), ["idle timeout", "shutdown"]);
  upstreamSaw = [];
});

Deno.test("forward: to a unix socket upstream, and through two Workers", async () => {
  const dir = await Deno.makeTempDir();
  const path = `${dir}/up.sock`;
  const upstream = await startServer({ address: { transport: "unix", path } });
  const relay = await startRelay({ transport: "unix", path }, { workers: 2 });
  const payloads = Array.from({ length: 6 }, (_, i) => randomBytes(50_000 + i));
  assertEquals(await Promise.all(payloads.map((p) => roundTrip(relay.port, p))), payloads);
  const summary = await relay.stop();
  await upstream.stop();
  await Deno.remove(dir, { recursive: true });
  assertEquals([summary.served, summary.upstream], [6, `unix:${path}`]);
  assertEquals(closes(relay.events).length, 6);
});

Deno.test("forward --dump-file: both directions, hex and text, from the main thread and Workers", async () => {
  const dir = await Deno.makeTempDir();
  for (const workers of [1, 2]) {
    const file = `${dir}/dump-${workers}.txt`;
    const upstream = await startServer();
    const relay = await startRelay({ ...LOOPBACK, port: upstream.port }, {
      workers,
      dump: { to: "file", path: file },
    });
    assertEquals(
      await roundTrip(relay.port, new TextEncoder().encode("hello\x00")),
      new TextEncoder().encode("hello\x00"),
    );
    await relay.stop();
    await upstream.stop();
    const lines = (await Deno.readTextFile(file)).trimEnd().split("\n");
    assertMatch(lines[0], /^= #1 \S+Z 127\.0\.0\.1:\d+ -> 127\.0\.0\.1:\d+ connected$/);
    const data = lines.filter((l) => /^[<>] #1 \S+Z 6 bytes at 0$/.test(l));
    assertEquals(data.map((l) => l[0]).sort(), ["<", ">"]);
    assertEquals(
      lines.filter((l) => l.startsWith("00000000")),
      Array(2).fill("00000000  68 65 6c 6c 6f 00" + " ".repeat(31) + "  |hello.|"),
    );
    assertEquals(lines.filter((l) => l.includes("end of stream after 6 bytes")).length, 2);
  }
  await Deno.remove(dir, { recursive: true });
});

Deno.test("log lines of a relay name both ends and the bytes each way", () => {
  const at = new Date("2025-01-02T03:04:05.678Z");
  const events: [LogEvent, string][] = [
    [
      {
        event: "listening",
        address: "127.0.0.1:8080",
        mode: "forward",
        maxConns: 9968,
        workers: 1,
        upstream: "127.0.0.1:9000",
      },
      "listening on 127.0.0.1:8080 (mode forward to 127.0.0.1:9000, max-conns 9968)",
    ],
    [
      { event: "open", id: 3, peer: "127.0.0.1:5000", upstream: "unix:/run/app.sock" },
      "[#3] 127.0.0.1:5000 connected, forwarding to unix:/run/app.sock",
    ],
    [
      {
        event: "close",
        id: 3,
        peer: "127.0.0.1:5000",
        upstream: "127.0.0.1:9000",
        bytesIn: 10,
        bytesOut: 2048,
        durationMs: 12,
        reason: "upstream closed",
      },
      "[#3] 127.0.0.1:5000 -> 127.0.0.1:9000 closed: upstream closed; in 10 B, out 2 KiB, 12 ms",
    ],
  ];
  for (const [event, text] of events) assertEquals(renderLogEvent(event, "text", at), text);
  const json = JSON.parse(renderLogEvent(events[2][0], "json", at));
  assertEquals(
    [json.upstream, json.bytes_in, json.bytes_out, json.reason],
    ["127.0.0.1:9000", 10, 2048, "upstream closed"],
  );
});

/**
 * A stand-in socket: reads come from `source` (one per call, up to the buffer's size),
 * writes are held until `release()`; it counts the calls.
 */
class FakeConn implements RelayConn {
  reads = 0;
  writes = 0;
  bytesWritten = 0;
  #held: (() => void)[] = [];
  #closed = Promise.withResolvers<never>();
  #closedFlag = false;
  constructor(private source: () => number | null, private holdWrites: boolean) {
    this.#closed.promise.catch(() => {});
  }
  read(buffer: Uint8Array): Promise<number | null> {
    this.reads++;
    if (this.#closedFlag) return Promise.reject(new Deno.errors.BadResource("closed"));
    const n = this.source();
    return n === null ? this.#closed.promise : Promise.resolve(Math.min(n, buffer.length));
  }
  write(data: Uint8Array): Promise<number> {
    this.writes++;
    if (this.#closedFlag) return Promise.reject(new Deno.errors.BadResource("closed"));
    if (!this.holdWrites) {
      this.bytesWritten += data.length;
      return Promise.resolve(data.length);
    }
    return Promise.race([
      new Promise<number>((resolve) =>
        this.#held.push(() => {
          this.bytesWritten += data.length;
          resolve(data.length);
        })
      ),
      this.#closed.promise,
    ]);
  }
  release() {
    this.#held.splice(0).forEach((go) => go());
  }
  closeWrite(): Promise<void> {
    return Promise.resolve();
  }
  close() {
    this.#closedFlag = true;
    this.#closed.reject(new Deno.errors.BadResource("closed"));
  }
}

Deno.test("relay core: never reads more than one buffer ahead of its writes, either way", async () => {
  for (const direction of ["client to upstream", "upstream to client"]) {
    // The sending side has 100 full buffers ready; the receiving side takes nothing.
    let ready = 100;
    const sender = new FakeConn(() => ready-- > 0 ? MAX_BUFFER : null, false);
    const quiet = new FakeConn(() => null, true);
    const [client, upstream] = direction === "client to upstream"
      ? [sender, quiet]
      : [quiet, sender];
    const state = { bytesIn: 0, bytesOut: 0, lastTick: 0 };
    const ended = relay(client, upstream, state, { tick: 0 }).catch((e) => e);
    for (let i = 0; i < 50; i++) await sleep(0);
    // One read, one write left waiting: no second read while the first chunk is unwritten.
    assertEquals([sender.reads, quiet.writes], [1, 1], direction);
    quiet.release();
    for (let i = 0; i < 50; i++) await sleep(0);
    assertEquals([sender.reads, quiet.writes], [2, 2], direction);
    client.close();
    upstream.close();
    assert((await ended) instanceof Deno.errors.BadResource);
  }
});
