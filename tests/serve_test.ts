/** Integration tests for the server on real loopback sockets, in-process. */

import { assert, assertEquals, assertInstanceOf } from "@std/assert";
import { defaultServeOptions } from "../lib/cli/parse.ts";
import type { ServeOptions } from "../lib/serve/options.ts";
import { RuntimeError } from "../lib/common/errors.ts";
import { writeAll } from "../lib/common/io.ts";
import { sleep, waitSettled } from "../lib/common/time.ts";
import { ServeCounters } from "../lib/serve/counters.ts";
import { ServeWorkerHandle } from "../lib/serve/worker_handle.ts";
import { randomBytes } from "./helpers.ts";
import { readAll, roundTrip, startServer } from "./serve_helpers.ts";

Deno.test("echo: 50 concurrent clients get their random binary data back byte-exact", async () => {
  const server = await startServer();
  const payloads = Array.from({ length: 50 }, (_, i) => randomBytes(1000 + i * 9973));
  const echoed = await Promise.all(payloads.map((p) => roundTrip(server.port, p)));
  for (let i = 0; i < payloads.length; i++) assertEquals(echoed[i], payloads[i], `client ${i}`);
  const summary = await server.stop();
  const total = payloads.reduce((n, p) => n + p.length, 0);
  assertEquals(summary.served, 50);
  assertEquals(summary.bytesIn, total);
  assertEquals(summary.bytesOut, total);
  assert(summary.peakConcurrent >= 1 && summary.peakConcurrent <= 50);
  const closes = server.events.filter((e) => e.event === "close");
  assertEquals(closes.length, 50);
  assert(closes.every((e) => e.event === "close" && e.reason === "client closed"));
});

Deno.test("echo: a stalled client does not delay others", async () => {
  const server = await startServer();
  // Sends 8 MiB and never reads: the server's writes to it block, others still echo.
  const stalled = await Deno.connect({ hostname: "127.0.0.1", port: server.port });
  const flood = writeAll(stalled, randomBytes(8 * 1024 * 1024)).catch(() => {});
  await sleep(100);
  const data = randomBytes(100_000);
  assertEquals(await roundTrip(server.port, data), data);
  stalled.close();
  await flood;
  await server.stop();
});

Deno.test("echo: after the client half-closes, everything is written back", async () => {
  const server = await startServer();
  const data = randomBytes(4 * 1024 * 1024);
  assertEquals(await roundTrip(server.port, data), data);
  await server.stop();
});

Deno.test("discard reads and drops; source streams a pattern", async () => {
  const sink = await startServer({ mode: "discard" });
  const data = randomBytes(3 * 1024 * 1024);
  assertEquals((await roundTrip(sink.port, data)).length, 0);
  assertEquals((await sink.stop()).bytesIn, data.length);

  const source = await startServer({ mode: "source" });
  const conn = await Deno.connect({ hostname: "127.0.0.1", port: source.port });
  const got = await readAll(conn, 1024 * 1024);
  conn.close();
  assert(got.length >= 1024 * 1024);
  for (let i = 0; i < got.length; i += 4093) assertEquals(got[i], i & 0xff, `byte ${i}`);
  const summary = await source.stop();
  assert(summary.bytesOut >= got.length);
  const close = source.events.find((e) => e.event === "close");
  assert(close?.event === "close" && close.reason === "reset by peer", JSON.stringify(close));
});

Deno.test("max-conns closes extra connections at once and keeps serving", async () => {
  const server = await startServer({ maxConns: 2 });
  const a = await Deno.connect({ hostname: "127.0.0.1", port: server.port });
  const b = await Deno.connect({ hostname: "127.0.0.1", port: server.port });
  await writeAll(a, new Uint8Array([1]));
  await writeAll(b, new Uint8Array([2]));
  assertEquals(await readAll(a, 1), new Uint8Array([1]));
  assertEquals(await readAll(b, 1), new Uint8Array([2]));
  const extra = await Deno.connect({ hostname: "127.0.0.1", port: server.port });
  const extraGot = await readAll(extra).catch(() => new Uint8Array());
  assertEquals(extraGot.length, 0);
  extra.close();
  await writeAll(a, new Uint8Array([3]));
  assertEquals(await readAll(a, 1), new Uint8Array([3]));
  a.close();
  b.close();
  const summary = await server.stop();
  assertEquals(summary.refused, 1);
  assertEquals(summary.served, 2);
  assert(server.events.some((e) => e.event === "refused"));
});

Deno.test("idle-timeout closes a silent connection, not a busy one", async () => {
  const server = await startServer({ idleTimeoutMs: 300 });
  const idle = await Deno.connect({ hostname: "127.0.0.1", port: server.port });
  const busy = await Deno.connect({ hostname: "127.0.0.1", port: server.port });
  const idleEnded = readAll(idle);
  for (let i = 0; i < 8; i++) {
    await writeAll(busy, new Uint8Array([i]));
    assertEquals(await readAll(busy, 1), new Uint8Array([i]));
    await sleep(100);
  }
  assertEquals((await idleEnded).length, 0);
  idle.close();
  busy.close();
  await server.stop();
  const reasons = server.events.flatMap((e) => e.event === "close" ? [e.reason] : []);
  assertEquals(reasons.sort(), ["client closed", "idle timeout"]);
});

Deno.test("stop drains: open connections are closed after the drain timeout", async () => {
  const server = await startServer({ drainTimeoutMs: 200 });
  const conn = await Deno.connect({ hostname: "127.0.0.1", port: server.port });
  await writeAll(conn, new Uint8Array([7]));
  assertEquals(await readAll(conn, 1), new Uint8Array([7]));
  const summary = await server.stop();
  assertEquals(await readAll(conn), new Uint8Array());
  conn.close();
  assertEquals(summary.served, 1);
  const close = server.events.find((e) => e.event === "close");
  assert(close?.event === "close" && close.reason === "shutdown");
  await Deno.connect({ hostname: "127.0.0.1", port: server.port }).then(
    (c) => {
      c.close();
      throw new Error("still accepting after stop");
    },
    (error) => assert(error instanceof Deno.errors.ConnectionRefused),
  );
});

Deno.test("IPv6 and unix sockets", async () => {
  const v6 = await startServer({ address: { transport: "tcp", hostname: "::1", port: 0 } });
  const conn = await Deno.connect({ hostname: "::1", port: v6.port });
  await writeAll(conn, new Uint8Array([1, 2, 3]));
  assertEquals(await readAll(conn, 3), new Uint8Array([1, 2, 3]));
  conn.close();
  await v6.stop();

  const dir = await Deno.makeTempDir();
  const path = `${dir}/echo.sock`;
  const unix = await startServer({ address: { transport: "unix", path } });
  const uconn = await Deno.connect({ transport: "unix", path });
  const data = randomBytes(200_000);
  const reading = readAll(uconn);
  await writeAll(uconn, data);
  await uconn.closeWrite();
  assertEquals(await reading, data);
  uconn.close();
  await unix.stop();
  await Deno.remove(dir, { recursive: true });
});

Deno.test("--allow/--deny refuse peers at accept and count them", async () => {
  const { parseCidr } = await import("../lib/serve/cidr.ts");
  const denied = await startServer({ access: { allow: [], deny: [parseCidr("127.0.0.0/8")] } });
  const conn = await Deno.connect({ hostname: "127.0.0.1", port: denied.port });
  assertEquals((await readAll(conn).catch(() => new Uint8Array())).length, 0);
  conn.close();
  const summary = await denied.stop();
  assertEquals([summary.served, summary.refused], [0, 1]);
  const refusal = denied.events.find((e) => e.event === "refused");
  assert(refusal?.event === "refused" && refusal.reason === "denied by --deny 127.0.0.0/8");

  const allowed = await startServer({
    access: { allow: [parseCidr("127.0.0.1")], deny: [parseCidr("::1")] },
  });
  assertEquals(await roundTrip(allowed.port, new Uint8Array([5, 6])), new Uint8Array([5, 6]));
  assertEquals((await allowed.stop()).served, 1);

  const elsewhere = await startServer({ access: { allow: [parseCidr("10.0.0.0/8")], deny: [] } });
  const outsider = await Deno.connect({ hostname: "127.0.0.1", port: elsewhere.port });
  assertEquals((await readAll(outsider).catch(() => new Uint8Array())).length, 0);
  outsider.close();
  assertEquals((await elsewhere.stop()).refused, 1);
});

Deno.test("workers: two Workers share a port, log through the main thread, one summary", async () => {
  const server = await startServer({ workers: 2 });
  assert(server.port > 0);
  const payloads = Array.from({ length: 8 }, (_, i) => randomBytes(10_000 + i));
  const echoed = await Promise.all(payloads.map((p) => roundTrip(server.port, p)));
  assertEquals(echoed, payloads);
  const summary = await server.stop();
  assertEquals(summary.served, 8);
  assertEquals(summary.bytesIn, payloads.reduce((n, p) => n + p.length, 0));
  // Each Worker's open/close events reach the main thread's log.
  assertEquals(server.events.filter((e) => e.event === "close").length, 8);
  // One shutdown event for the server, not one per Worker.
  assertEquals(server.events.filter((e) => e.event === "shutdown").length, 1);
});

Deno.test("worker handle: a busy port fails with the listen error; close() ends the Worker", async () => {
  const busy = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const options: ServeOptions = {
    ...defaultServeOptions(),
    address: { transport: "tcp", hostname: "127.0.0.1", port: busy.addr.port },
  };
  const counters = new ServeCounters().buffer;
  const error = await ServeWorkerHandle.start({ options, maxConns: 10, counters }).catch((e) => e);
  busy.close();
  assertInstanceOf(error, RuntimeError);
  assertEquals(
    error.message,
    `cannot listen on "127.0.0.1:${busy.addr.port}": address already in use`,
  );

  const free = { ...options, address: { ...options.address, port: 0 } };
  const handle = await ServeWorkerHandle.start({ options: free, maxConns: 10, counters });
  assertEquals(await roundTrip(handle.port, new Uint8Array([1, 2])), new Uint8Array([1, 2]));
  await handle.close(2000);
  assertEquals(await waitSettled(handle.done, 0), true);
  assertEquals(new ServeCounters(counters).snapshot().served, 1);
});
