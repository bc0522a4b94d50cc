/**
 * `serve --log json`: every line on stderr is one JSON object, in normal runs and when the
 * command fails (a usage error, a busy port, an address this host does not have, a unix
 * path that is refused); one shutdown event however many Workers drain.
 */

import { assert, assertEquals, assertMatch } from "@std/assert";
import { fatalErrorLine, stderrFormat } from "../lib/cli/dispatch.ts";
import { parseCli } from "../lib/cli/parse.ts";
import { runCli, startServe } from "./helpers.ts";

/** Parses every stderr line as JSON (an empty last line aside); fails on any other line. */
function jsonLines(stderr: string): Record<string, unknown>[] {
  const lines = stderr.endsWith("\n") ? stderr.slice(0, -1).split("\n") : stderr.split("\n");
  return lines.map((line) => {
    try {
      const value = JSON.parse(line);
      assert(typeof value === "object" && value !== null && !Array.isArray(value), line);
      return value;
    } catch {
      throw new Error(`stderr line is not a JSON object: ${line}\nin:\n${stderr}`);
    }
  });
}

/** Runs `serve ARGS`, expects exit `code` and exactly one stderr line: an error event. */
async function expectJsonError(args: string[], code: number, message: RegExp) {
  const result = await runCli(["serve", ...args], { timeoutMs: 20_000 });
  assertEquals(result.code, code, result.stderr);
  assertEquals(result.stdoutText, "");
  const events = jsonLines(result.stderr);
  assertEquals(events.length, 1, result.stderr);
  assertEquals(events[0].event, "error");
  assertEquals(events[0].exit_code, code);
  assertMatch(String(events[0].message), message);
  assertMatch(String(events[0].ts), /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
}

Deno.test("serve --log json: fatal errors are JSON error events", async () => {
  await expectJsonError(["--log", "json", "--max-conns", "0"], 2, /--max-conns.*at least 1/);
  await expectJsonError(["--bogus", "--log=json"], 2, /unknown flag "--bogus"/);
  await expectJsonError(["99999", "--log", "json"], 2, /99999/);
  const busy = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  try {
    await expectJsonError(
      [`127.0.0.1:${busy.addr.port}`, "--log", "json"],
      1,
      /^cannot listen on "127\.0\.0\.1:\d+": address already in use$/,
    );
  } finally {
    busy.close();
  }
  // TEST-NET-1: not an address of this host; binding fails without sending a packet.
  await expectJsonError(["192.0.2.1:0", "--log", "json"], 1, /address not available/);
  const dir = await Deno.makeTempDir();
  try {
    await Deno.writeTextFile(`${dir}/file`, "keep");
    await expectJsonError([`unix:${dir}/file`, "--log", "json"], 1, /a regular file is in the way/);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("serve --log json --workers 2: JSON lines only, one shutdown event, rounded durations", async () => {
  const server = await startServe([
    "127.0.0.1:0",
    "--log",
    "json",
    "--workers",
    "2",
    "--drain-timeout",
    "10s",
  ]);
  const done = await Deno.connect({ hostname: "127.0.0.1", port: server.port });
  await done.write(new Uint8Array([1, 2, 3]));
  await done.closeWrite();
  while (await done.read(new Uint8Array(8)) !== null) { /* until the echo ends */ }
  done.close();
  await server.stderr.waitFor(/"event":"close"/);
  const open = await Deno.connect({ hostname: "127.0.0.1", port: server.port });
  await server.stderr.waitFor(/"event":"open","id":2/);
  server.child.kill("SIGTERM");
  await server.stderr.waitFor(/"event":"shutdown"/);
  open.close();
  assertEquals(await server.stop(), 0);

  const events = jsonLines(server.stderr.text);
  assertEquals(events.map((e) => e.event), [
    "listening",
    "open",
    "close",
    "open",
    "shutdown",
    "close",
    "summary",
  ]);
  const shutdown = events[4];
  assertEquals([shutdown.open, shutdown.drain_timeout_ms], [1, 10_000]);
  assertEquals(events[0].workers, 2);
  for (const event of events) {
    for (const [key, value] of Object.entries(event)) {
      if (!key.endsWith("_ms")) continue;
      assert(typeof value === "number" && Number.isFinite(value), `${key}: ${value}`);
      assertEquals(Math.round(value * 1000) / 1000, value, `${key} not rounded: ${value}`);
    }
  }
  assertEquals(events[6].served, 2);
});

Deno.test("stderrFormat: serve's --log decides, even when the command line is wrong", () => {
  const table: [string[], "text" | "json"][] = [
    [["serve", "--log", "json"], "json"],
    [["serve", "--log=json", "--max-conns", "0"], "json"],
    [["serve", "--log", "json", "--log", "text", "--bogus"], "text"],
    [["serve", "--bogus", "--log", "json"], "json"],
    [["serve", "--", "--log", "json"], "text"],
    [["serve", "--log"], "text"],
    [["connect", "--log", "json"], "text"],
    [["bench"], "text"],
  ];
  for (const [argv, expected] of table) {
    assertEquals(stderrFormat(argv), expected, argv.join(" "));
  }
  assertEquals(stderrFormat(["serve"], parseCli(["serve", "--log", "json"])), "json");
  assertEquals(stderrFormat(["bench"], parseCli(["bench"])), "text");
  assertEquals(fatalErrorLine("no", 1, "text"), "tcpkit: no");
  const json = JSON.parse(fatalErrorLine("no", 2, "json", "Error: no\n    at x"));
  assertEquals([json.event, json.message, json.exit_code, json.stack], [
    "error",
    "no",
    2,
    "Error: no\n    at x",
  ]);
});
