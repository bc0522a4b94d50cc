/**
 * `tcpkit serve --forward` end to end: the real CLI (deno.json's permission set) relaying
 * to a real `tcpkit serve`, its log lines, `--dump` on stderr, `--log json`, and the exit
 * codes of a bad --forward and an unwritable --dump-file.
 */

import { assert, assertEquals, assertMatch } from "@std/assert";
import { randomBytes, runCli, startServe } from "./helpers.ts";
import { roundTrip } from "./serve_helpers.ts";

Deno.test("serve --forward --dump: relays, logs both ends, dumps both directions, sums up", async () => {
  const upstream = await startServe(["127.0.0.1:0", "--quiet"]);
  const relay = await startServe(["127.0.0.1:0", "--forward", upstream.address, "--dump"]);
  try {
    assertMatch(
      relay.stderr.lines[0],
      /^listening on 127\.0\.0\.1:\d+ \(mode forward to 127\.0\.0\.1:\d+, max-conns \d+\)$/,
    );
    const data = new TextEncoder().encode("ping\n");
    assertEquals(await roundTrip(relay.port, data), data);
    const data2 = randomBytes(100_000);
    assertEquals(await roundTrip(relay.port, data2), data2);
    await relay.stderr.waitFor(/^\[#2\] .* closed: /);
  } finally {
    assertEquals(await relay.stop(), 0);
    await upstream.stop();
  }
  const text = relay.stderr.text;
  const to = upstream.address.replaceAll(".", "\\.");
  assertMatch(
    text,
    new RegExp(`^\\[#1\\] 127\\.0\\.0\\.1:\\d+ connected, forwarding to ${to}$`, "m"),
  );
  assertMatch(
    text,
    new RegExp(
      `^\\[#1\\] 127\\.0\\.0\\.1:\\d+ -> ${to} closed: client closed; in 5 B, out 5 B`,
      "m",
    ),
  );
  assertMatch(text, new RegExp(`^= #1 \\S+Z 127\\.0\\.0\\.1:\\d+ -> ${to} connected$`, "m"));
  assertMatch(text, /^> #1 \S+Z 5 bytes at 0\n00000000 {2}70 69 6e 67 0a {36}\|ping\.\|$/m);
  assertMatch(text, /^< #1 \S+Z 5 bytes at 0\n00000000 {2}70 69 6e 67 0a {36}\|ping\.\|$/m);
  assertMatch(text, /^> #2 \S+Z end of stream after 100000 bytes$/m);
  assertMatch(text, /^< #2 \S+Z end of stream after 100000 bytes$/m);
  assertMatch(
    text,
    new RegExp(`^summary: 2 served, 0 refused, .*, forwarded to ${to}$`, "m"),
  );
});

Deno.test("serve --forward --log json: every close names the upstream; a refusal is logged", async () => {
  const closed = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  closed.close();
  const relay = await startServe([
    "127.0.0.1:0",
    "--forward",
    `127.0.0.1:${closed.addr.port}`,
    "--log",
    "json",
  ]);
  const conn = await Deno.connect({ hostname: "127.0.0.1", port: relay.port });
  await relay.stderr.waitFor(/"event":"close"/);
  conn.close();
  assertEquals(await relay.stop(), 0);
  const events = relay.stderr.lines.map((line) => JSON.parse(line));
  assertEquals(events.map((e) => e.event), ["listening", "open", "close", "shutdown", "summary"]);
  const upstream = `127.0.0.1:${closed.addr.port}`;
  assertEquals([events[0].mode, events[0].upstream], ["forward", upstream]);
  assertEquals(
    [events[2].upstream, events[2].reason, events[2].error],
    [upstream, "upstream unreachable", "connection refused"],
  );
  assertEquals(events[4].upstream, upstream);
});

Deno.test("serve --forward: a bad target is exit 2, an unwritable --dump-file exit 1", async () => {
  const bad = await runCli(["serve", ":0", "--forward", "nowhere"]);
  assertEquals(bad.code, 2);
  assertMatch(
    bad.stderr,
    /^tcpkit: invalid value for --forward: address "nowhere" is missing a port/,
  );
  assertEquals(bad.stdoutText, "");

  const dir = await Deno.makeTempDir();
  try {
    const file = await runCli(["serve", ":0", "--forward", ":9", "--dump-file", `${dir}/no/dump`]);
    assertEquals(file.code, 1);
    assertMatch(file.stderr, /^tcpkit: cannot write --dump-file ".*\/no\/dump": not found\n/);
    assert(!file.stderr.includes("listening on"), file.stderr);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
