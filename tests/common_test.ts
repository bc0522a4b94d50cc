/** The shared helpers written once: write-all, bounded pool, waits and the dialer. */

import { assert, assertEquals, assertInstanceOf, assertRejects } from "@std/assert";
import { writeAll, writeAllSync } from "../lib/common/io.ts";
import { mapBounded } from "../lib/common/pool.ts";
import { abortable, sleep, waitSettled } from "../lib/common/time.ts";
import { dial, DialError } from "../lib/common/dial.ts";

/** A writer that takes at most `max` bytes per write. */
function trickle(max: number) {
  const parts: number[][] = [];
  return {
    parts,
    write: (data: Uint8Array) => Promise.resolve(take(data)),
    writeSync: (data: Uint8Array) => take(data),
  };
  function take(data: Uint8Array) {
    const n = Math.min(max, data.length);
    parts.push([...data.subarray(0, n)]);
    return n;
  }
}

Deno.test("writeAll and writeAllSync loop over partial writes", async () => {
  const data = Uint8Array.from({ length: 10 }, (_, i) => i);
  for (const max of [1, 3, 10, 64]) {
    const a = trickle(max);
    await writeAll(a, data);
    assertEquals(a.parts.flat(), [...data], `async, ${max} per write`);
    const b = trickle(max);
    writeAllSync(b, data);
    assertEquals(b.parts.flat(), [...data], `sync, ${max} per write`);
    assertEquals(b.parts.length, Math.ceil(data.length / max));
  }
  const empty = trickle(4);
  await writeAll(empty, new Uint8Array(0));
  assertEquals(empty.parts, []);
});

Deno.test("mapBounded keeps order and never runs more than the limit", async () => {
  const cases: [number, number][] = [[0, 4], [1, 4], [10, 1], [10, 3], [50, 128]];
  for (const [count, limit] of cases) {
    let running = 0;
    let peak = 0;
    const items = Array.from({ length: count }, (_, i) => i);
    const results = await mapBounded(items, limit, async (item, index) => {
      running++;
      peak = Math.max(peak, running);
      await sleep(item % 3);
      running--;
      return item * 10 + index;
    });
    assertEquals(results, items.map((i) => i * 11), `${count} items, limit ${limit}`);
    assert(peak <= Math.max(1, limit), `peak ${peak} over limit ${limit}`);
  }
});

Deno.test("mapBounded: a failure stops new tasks, waits for running ones, then throws", async () => {
  const started: number[] = [];
  const finished: number[] = [];
  await assertRejects(
    () =>
      mapBounded([0, 1, 2, 3, 4, 5], 2, async (item) => {
        started.push(item);
        if (item === 1) throw new Error("task 1 failed");
        await sleep(5);
        finished.push(item);
      }),
    Error,
    "task 1 failed",
  );
  assertEquals(started, [0, 1]);
  assertEquals(finished, [0]);
});

Deno.test("waitSettled: settled, timed out or aborted, and no timer left behind", async () => {
  assertEquals(await waitSettled(Promise.resolve(1), 1000), true);
  assertEquals(await waitSettled(Promise.reject(new Error("no")), 1000), true);
  assertEquals(await waitSettled(new Promise(() => {}), 5), false);
  const abort = new AbortController();
  const waiting = waitSettled(new Promise(() => {}), Infinity, abort.signal);
  abort.abort();
  assertEquals(await waiting, false);
  assertEquals(await waitSettled(Promise.resolve(), 1000, abort.signal), false);
  // The sanitizers fail this test if a 1 h timer were still pending.
  assertEquals(await waitSettled(sleep(1), 3_600_000), true);
});

Deno.test("abortable: rejects with the signal's reason and discards a late result", async () => {
  let resolveLate!: (value: string) => void;
  const late = new Promise<string>((resolve) => resolveLate = resolve);
  const discarded: string[] = [];
  const abort = new AbortController();
  const pending = abortable(late, abort.signal, (value) => discarded.push(value));
  abort.abort(new DOMException("too slow", "TimeoutError"));
  const error = await pending.catch((e) => e);
  assertInstanceOf(error, DOMException);
  assertEquals(error.name, "TimeoutError");
  resolveLate("conn");
  await late;
  await Promise.resolve();
  assertEquals(discarded, ["conn"]);

  assertEquals(await abortable(Promise.resolve(7), new AbortController().signal, () => {}), 7);
  const already = AbortSignal.abort(new Error("before"));
  const dropped: number[] = [];
  await assertRejects(() => abortable(Promise.resolve(3), already, (v) => dropped.push(v)));
  await Promise.resolve();
  assertEquals(dropped, [3]);
});

Deno.test("dial: TCP and unix connect; failures are one-line DialErrors", async () => {
  const tcp = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const conn = await dial({ transport: "tcp", hostname: "127.0.0.1", port: tcp.addr.port }, 1000);
  (await tcp.accept()).close();
  conn.close();
  tcp.close();
  const refused = await dial(
    { transport: "tcp", hostname: "127.0.0.1", port: tcp.addr.port },
    1000,
  ).catch((e) => e);
  assertInstanceOf(refused, DialError);
  assertEquals(refused.reason, "connection refused");

  const dir = await Deno.makeTempDir();
  try {
    const path = `${dir}/s.sock`;
    const unix = Deno.listen({ transport: "unix", path });
    const uconn = await dial({ transport: "unix", path }, 1000);
    (await unix.accept()).close();
    uconn.close();
    unix.close();
    const missing = await dial({ transport: "unix", path: `${dir}/none.sock` }, 1000)
      .catch((e) => e);
    assertInstanceOf(missing, DialError);
    assertEquals(missing.message, `cannot connect to "unix:${dir}/none.sock": not found`);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
