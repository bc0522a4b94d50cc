/**
 * `serve --stdio` honours the flags that mean something for one connection: `--deny` and
 * `--allow` refuse a peer before a byte of it reaches stdout (and the command goes on
 * waiting), `--log json` makes every stderr line JSON, `--quiet` drops the connection
 * lines, `--idle-timeout` ends a silent connection.
 */

import { assert, assertEquals, assertMatch } from "@std/assert";
import { writeAll } from "../lib/common/io.ts";
import { killQuietly, LineReader, runCli, spawnCli } from "./helpers.ts";

function jsonEvents(text: string): Record<string, unknown>[] {
  return text.split("\n").filter((line) => line !== "").map((line) => {
    try {
      return JSON.parse(line);
    } catch {
      throw new Error(`stderr line is not JSON: ${line}\nin:\n${text}`);
    }
  });
}

/** Connects, sends `bytes`, and waits until the server closes the connection. */
async function sendAndWaitForClose(port: number, bytes: Uint8Array) {
  const conn = await Deno.connect({ hostname: "127.0.0.1", port });
  try {
    await writeAll(conn, bytes).catch(() => {}); // a refused peer may be reset mid-write
    const buf = new Uint8Array(64);
    while (await conn.read(buf).catch(() => null) !== null) { /* until closed or reset */ }
  } finally {
    conn.close();
  }
}

Deno.test("serve --stdio --deny: a denied peer's bytes never reach stdout; it keeps waiting", async () => {
  const server = spawnCli(["serve", "--stdio", "127.0.0.1:0", "--deny", "127.0.0.0/8"], {
    stdin: true,
  });
  const stderr = new LineReader(server.stderr);
  const stdout = new Response(server.stdout).arrayBuffer();
  try {
    const port = Number((await stderr.waitFor(/listening on \S+:(\d+) \(stdio/))[1]);
    await sendAndWaitForClose(port, new TextEncoder().encode("secret from a denied peer\n"));
    await stderr.waitFor(/^refused 127\.0\.0\.1:\d+: denied by --deny 127\.0\.0\.0\/8$/);
    // Still listening: a second peer is refused the same way, not "connection refused".
    await sendAndWaitForClose(port, new TextEncoder().encode("again\n"));
    await stderr.waitFor(/^refused .*: denied/);
    assertEquals(stderr.lines.filter((l) => l.startsWith("refused ")).length, 2);
  } finally {
    killQuietly(server, "SIGTERM");
    await server.status;
    await server.stdin.close().catch(() => {});
    await stderr.done;
  }
  assertEquals(new Uint8Array(await stdout).length, 0, "nothing on stdout");
  assert(!/connected/.test(stderr.text), stderr.text);
});

Deno.test("serve --stdio --allow/--deny let an allowed peer through; --log json lines", async () => {
  const server = spawnCli([
    "serve",
    "--stdio",
    "127.0.0.1:0",
    "--allow",
    "127.0.0.1",
    "--deny",
    "::1",
    "--log",
    "json",
  ]);
  const stderr = new LineReader(server.stderr);
  const stdout = new Response(server.stdout).arrayBuffer();
  const address = JSON.parse((await stderr.waitFor(/"event":"listening"/)).input!).address;
  const client = await runCli(["connect", address], { stdin: "hello\n" });
  assertEquals(client.code, 0, client.stderr);
  assertEquals((await server.status).code, 0);
  await stderr.done;
  assertEquals(new TextDecoder().decode(await stdout), "hello\n");
  const events = jsonEvents(stderr.text);
  assertEquals(events.map((e) => e.event), ["listening", "open", "close"]);
  assertEquals([events[0].mode, events[0].max_conns, events[0].workers], ["stdio", 1, 1]);
  assertEquals([events[2].bytes_in, events[2].bytes_out, events[2].reason], [
    6,
    0,
    "client closed",
  ]);
});

Deno.test("serve --stdio --idle-timeout ends a silent connection; with --log json -q, all JSON", async () => {
  const server = spawnCli(
    [
      "serve",
      "--stdio",
      "127.0.0.1:0",
      "--deny",
      "127.0.0.2",
      "--idle-timeout",
      "300ms",
      "--log",
      "json",
      "-q",
    ],
    { stdin: true }, // open and silent: only the idle timeout ends the bridge
  );
  const stderr = new LineReader(server.stderr);
  const stdout = server.stdout.cancel();
  const address = JSON.parse((await stderr.waitFor(/"event":"listening"/)).input!).address;
  const port = Number(address.split(":").pop());
  const conn = await Deno.connect({ hostname: "127.0.0.1", port });
  const status = await server.status;
  conn.close();
  await server.stdin.close().catch(() => {});
  await stderr.done;
  await stdout;
  assertEquals(status.code, 1, stderr.text);
  const events = jsonEvents(stderr.text);
  assertEquals(events.map((e) => e.event), ["listening", "error"], stderr.text);
  assertMatch(String(events[1].message), /no data either way for .*--idle-timeout/);
  assertEquals(events[1].exit_code, 1);
});
