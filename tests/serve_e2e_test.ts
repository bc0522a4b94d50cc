/** End-to-end tests: spawn the real CLI (with deno.json's permission set) and check its contract. */

import { assert, assertEquals, assertMatch } from "@std/assert";
import denoJson from "../deno.json" with { type: "json" };
import { randomBytes, runCli, startServe } from "./helpers.ts";
import { roundTrip } from "./serve_helpers.ts";

Deno.test("help goes to stdout with exit 0; no arguments is a usage error", async () => {
  for (const args of [["--help"], ["help"], ["help", "serve"], ["serve", "--help"]]) {
    const result = await runCli(args);
    assertEquals(result.code, 0, args.join(" "));
    assertMatch(result.stdoutText, /^(tcpkit|Usage)/);
    assertEquals(result.stderr, "");
  }
  const none = await runCli([]);
  assertEquals(none.code, 2);
  assertEquals(none.stdoutText, "");
  assertMatch(none.stderr, /Usage: tcpkit COMMAND/);
});

Deno.test("--version prints the version from deno.json", async () => {
  const result = await runCli(["--version"]);
  assertEquals(result.code, 0);
  assertMatch(
    result.stdoutText,
    new RegExp(`^tcpkit ${denoJson.version} \\(deno \\S+, v8 \\S+\\)\\n$`),
  );
});

Deno.test("bad flags: exit 2, one line on stderr naming the problem, nothing on stdout", async () => {
  const table: [string[], RegExp][] = [
    [["serve", "--bogus"], /unknown flag "--bogus" \(see 'tcpkit serve --help'\)$/],
    [["serve", "--max-conns", "abc"], /--max-conns.*"abc" is not a whole number/],
    [["serve", "--max-conns", "0"], /--max-conns.*at least 1/],
    [["serve", "99999"], /port 99999 outside/],
    [["serve", "--idle-timeout"], /--idle-timeout needs a value/],
    [["nosuch"], /unknown command "nosuch" .*help, completions\) \(see 'tcpkit --help'\)$/],
    [["--bogus"], /unknown flag "--bogus".*\(see 'tcpkit --help'\)$/],
  ];
  for (const [args, re] of table) {
    const result = await runCli(args);
    assertEquals(result.code, 2, args.join(" "));
    assertEquals(result.stdoutText, "", args.join(" "));
    const lines = result.stderr.trimEnd().split("\n");
    assertEquals(lines.length, 1, result.stderr);
    assertMatch(lines[0], /^tcpkit: /);
    assertMatch(lines[0], re);
    assert(!/\bat .*:\d+:\d+/.test(result.stderr), "no stack trace");
  }
});

Deno.test("busy port and foreign address: exit 1 with one line", async () => {
  const server = await startServe(["127.0.0.1:0", "--quiet"]);
  try {
    const busy = await runCli(["serve", `127.0.0.1:${server.port}`]);
    assertEquals(busy.code, 1);
    assertEquals(busy.stderr.trimEnd().split("\n").length, 1, busy.stderr);
    assertMatch(
      busy.stderr,
      /^tcpkit: cannot listen on "127\.0\.0\.1:\d+": address already in use/,
    );
    // An address this host does not have (TEST-NET-1): bind fails, no packet is sent.
    // (Unknown host names are not tested: resolving one queries a non-loopback DNS server.)
    const foreign = await runCli(["serve", "192.0.2.1:0"]);
    assertEquals(foreign.code, 1);
    assertMatch(
      foreign.stderr,
      /^tcpkit: cannot listen on "192\.0\.2\.1:0": address not available/,
    );
    assertEquals(foreign.stderr.trimEnd().split("\n").length, 1, foreign.stderr);
  } finally {
    await server.stop();
  }
});

Deno.test("serve logs connections and drains on SIGTERM with a summary", async () => {
  const server = await startServe(["127.0.0.1:0", "--drain-timeout", "10s"]);
  const data = randomBytes(300_000);
  assertEquals(await roundTrip(server.port, data), data);
  await server.stderr.waitFor(/\[#1\] 127\.0\.0\.1:\d+ closed: client closed; in 293 KiB/);
  // An open connection at SIGTERM may finish: it still echoes during the drain.
  const conn = await Deno.connect({ hostname: "127.0.0.1", port: server.port });
  await server.stderr.waitFor(/\[#2\] .* connected/);
  server.child.kill("SIGTERM");
  await server.stderr.waitFor(/shutting down: 1 open connection/);
  await conn.write(new Uint8Array([42]));
  const buf = new Uint8Array(1);
  assertEquals(await conn.read(buf), 1);
  assertEquals(buf[0], 42);
  conn.close();
  // The drain ends by itself once the last client is gone; no second signal is needed.
  await server.stderr.waitFor(/summary:/);
  assertEquals(await server.stop(), 0);
  assertMatch(server.stderr.text, /summary: 2 served, 0 refused, peak 1 concurrent, in 293 KiB/);
});

Deno.test("serve --log json and --quiet", async () => {
  const server = await startServe(["127.0.0.1:0", "--log", "json"]);
  await roundTrip(server.port, new Uint8Array([1, 2]));
  await server.stderr.waitFor(/"event":"close"/);
  assertEquals(await server.stop("SIGINT"), 0);
  const events = server.stderr.lines.map((line) => JSON.parse(line));
  assertEquals(events.map((e) => e.event), ["listening", "open", "close", "shutdown", "summary"]);
  assertEquals(events[2].bytes_in, 2);
  assertEquals(events[4].served, 1);

  const quiet = await startServe(["127.0.0.1:0", "-q"]);
  await roundTrip(quiet.port, new Uint8Array([1]));
  assertEquals(await quiet.stop(), 0);
  assert(!/connected|closed:/.test(quiet.stderr.text), quiet.stderr.text);
  assertMatch(quiet.stderr.text, /summary: 1 served/);
});

Deno.test("serve on a unix socket removes it on exit", async () => {
  const dir = await Deno.makeTempDir();
  const path = `${dir}/t.sock`;
  const server = await startServe([`unix:${path}`]);
  assertEquals(server.address, `unix:${path}`);
  const conn = await Deno.connect({ transport: "unix", path });
  await conn.write(new Uint8Array([9]));
  const buf = new Uint8Array(1);
  assertEquals(await conn.read(buf), 1);
  conn.close();
  assertEquals(await server.stop(), 0);
  assertEquals(await Deno.stat(path).then(() => true, () => false), false);
  await Deno.remove(dir, { recursive: true });
});

Deno.test("serve --workers 2 shares one port and one summary", async () => {
  const server = await startServe(["127.0.0.1:0", "--workers", "2", "--max-conns", "100"]);
  assertMatch(server.stderr.text, /2 workers/);
  const payloads = Array.from({ length: 20 }, (_, i) => randomBytes(10_000 + i));
  const echoed = await Promise.all(payloads.map((p) => roundTrip(server.port, p)));
  echoed.forEach((e, i) => assertEquals(e, payloads[i]));
  assertEquals(await server.stop(), 0);
  assertMatch(server.stderr.text, /summary: 20 served, 0 refused/);
});
