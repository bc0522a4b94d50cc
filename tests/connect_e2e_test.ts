/**
 * `tcpkit connect` end to end: the real CLI against real sockets on 127.0.0.1, ::1
 * and unix sockets. Checks stdout bytes, stderr lines and exit codes.
 */

import { assert, assertEquals, assertMatch } from "@std/assert";
import { LineReader, randomBytes, runCli, sha256, spawnCli, startServe } from "./helpers.ts";
import {
  closedPort,
  FULL_BACKLOG_PEER,
  oneShotPeer,
  outputLeavingStdinOpen,
  pythonPeer,
  readToEnd,
  RESET_PEER,
} from "./connect_helpers.ts";

const MiB = 1024 * 1024;

Deno.test("pipe round trip through serve (echo) is byte-identical, 0 B to 64 MiB", async () => {
  const server = await startServe(["127.0.0.1:0", "--quiet"]);
  try {
    for (const size of [0, 1, 65_537, 3 * MiB + 5, 64 * MiB]) {
      const data = randomBytes(size);
      const result = await runCli(["connect", server.address], { stdin: data, timeoutMs: 60_000 });
      assertEquals(result.code, 0, result.stderr);
      assertEquals(result.stderr, "");
      assertEquals(result.stdout.length, size);
      assertEquals(await sha256(result.stdout), await sha256(data), `size ${size}`);
    }
  } finally {
    await server.stop();
  }
});

Deno.test("stdin EOF half-closes: printf hi | connect prints hi and exits", async () => {
  const server = await startServe(["127.0.0.1:0", "--quiet"]);
  try {
    const result = await runCli(["connect", server.address], { stdin: "hi", timeoutMs: 10_000 });
    assertEquals([result.code, result.stdoutText, result.stderr], [0, "hi", ""]);
  } finally {
    await server.stop();
  }
});

Deno.test("--no-half-close keeps the write side open until the peer closes", async () => {
  // The peer replies only once the client would have half-closed, then closes itself.
  const peer = oneShotPeer(async (conn) => {
    const buffer = new Uint8Array(16);
    const n = await conn.read(buffer);
    const eofOrTimeout = await Promise.race([
      conn.read(buffer).then((m) => (m === null ? "eof" : "data")),
      new Promise((r) => setTimeout(() => r("open"), 500)),
    ]);
    await conn.write(new TextEncoder().encode(`${n} ${eofOrTimeout}`));
    return eofOrTimeout;
  });
  const result = await runCli(["connect", "--no-half-close", `127.0.0.1:${peer.port}`], {
    stdin: "abc",
  });
  assertEquals(await peer.done, "open");
  assertEquals([result.code, result.stdoutText], [0, "3 open"]);
});

Deno.test("the peer closing first ends connect even though stdin stays open", async () => {
  const peer = oneShotPeer(async (conn) => {
    await conn.write(new TextEncoder().encode("bye\n"));
  });
  const child = spawnCli(["connect", `127.0.0.1:${peer.port}`], { stdin: true });
  const result = await outputLeavingStdinOpen(child); // stdin stays open until it exits
  await peer.done;
  assertEquals([result.code, result.stdout, result.stderr], [0, "bye\n", ""]);
});

Deno.test("--keep-sending sends all of stdin after the peer half-closes", async () => {
  const data = randomBytes(2 * MiB);
  const peer = oneShotPeer(async (conn) => {
    await conn.closeWrite();
    return await readToEnd(conn);
  });
  const result = await runCli(["connect", "--keep-sending", `127.0.0.1:${peer.port}`], {
    stdin: data,
  });
  assertEquals(result.code, 0, result.stderr);
  assertEquals(await sha256((await peer.done) as Uint8Array), await sha256(data));
});

Deno.test("a closed stdout (| head -c 10) ends connect quietly with exit 0", async () => {
  const server = await startServe(["127.0.0.1:0", "--quiet", "--mode", "source"]);
  try {
    const child = spawnCli(["connect", server.address]);
    const stderr = new Response(child.stderr).text();
    const reader = child.stdout.getReader({ mode: "byob" });
    const { value } = await reader.read(new Uint8Array(10));
    assert(value !== undefined && value.length > 0);
    await reader.cancel(); // like head exiting after its bytes
    const status = await child.status;
    assertEquals([status.code, await stderr], [0, ""]);
  } finally {
    await server.stop();
  }
});

Deno.test("--crlf sends every LF as CRLF: piped stdin, --send and --send-file", async () => {
  const server = await startServe(["127.0.0.1:0", "--quiet"]);
  const path = await Deno.makeTempFile();
  try {
    const piped = await runCli(["connect", "-C", server.address], {
      stdin: "HELO x\nMAIL FROM:<a@b>\r\nQUIT\n",
    });
    assertEquals([piped.code, piped.stdoutText, piped.stderr], [
      0,
      "HELO x\r\nMAIL FROM:<a@b>\r\nQUIT\r\n",
      "",
    ]);
    await Deno.writeTextFile(path, "GET / HTTP/1.0\n\n");
    const file = await runCli(["connect", "--crlf", "--send-file", path, server.address]);
    assertEquals([file.code, file.stdoutText], [0, "GET / HTTP/1.0\r\n\r\n"]);
    const send = await runCli(["connect", "--crlf", "--send", "a\nb", server.address]);
    assertEquals([send.code, send.stdoutText], [0, "a\r\nb\r\n"]);
    // Without --crlf the bytes go as they are.
    const plain = await runCli(["connect", server.address], { stdin: "x\ny\r\n" });
    assertEquals(plain.stdoutText, "x\ny\r\n");
  } finally {
    await Deno.remove(path);
    await server.stop();
  }
});

Deno.test("--send and --repeat send lines and print the replies", async () => {
  const server = await startServe(["127.0.0.1:0", "--quiet"]);
  try {
    const cases: [string[], string][] = [
      [["--send", "hello", "--send", "world"], "hello\nworld\n"],
      [["--send", "PING", "--crlf"], "PING\r\n"],
      [["--send", "hi", "--repeat", "3", "--interval", "20ms"], "hi\nhi\nhi\n"],
    ];
    for (const [flags, expected] of cases) {
      const result = await runCli(["connect", ...flags, server.address]);
      assertEquals([result.code, result.stdoutText, result.stderr], [0, expected, ""]);
    }
    const path = await Deno.makeTempFile();
    try {
      const data = randomBytes(300_000);
      await Deno.writeFile(path, data);
      const result = await runCli(["connect", "--send-file", path, server.address]);
      assertEquals(result.code, 0, result.stderr);
      assertEquals(await sha256(result.stdout), await sha256(data));
      const twice = await runCli(
        ["connect", "--send-file", path, "--repeat", "2", "--interval", "0ms", server.address],
      );
      assertEquals(twice.stdout.length, 600_000);
    } finally {
      await Deno.remove(path);
    }
  } finally {
    await server.stop();
  }
});

Deno.test("-z: exit 0 on an open port, 1 and one stderr line on a closed one", async () => {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  try {
    const open = await runCli(["connect", "-z", `127.0.0.1:${listener.addr.port}`]);
    assertEquals([open.code, open.stdoutText, open.stderr], [0, "", ""]);
    const port = closedPort();
    const closed = await runCli(["connect", "-z", `127.0.0.1:${port}`]);
    assertEquals(closed.code, 1);
    assertEquals(closed.stdoutText, "");
    assertEquals(
      closed.stderr,
      `tcpkit: cannot connect to "127.0.0.1:${port}": connection refused\n`,
    );
  } finally {
    listener.close();
  }
});

Deno.test("-z with a port range prints one line per port, in order", async () => {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = listener.addr.port;
  try {
    const result = await runCli([
      "connect",
      "-z",
      `127.0.0.1:${port}`,
      `127.0.0.1:${port}-${port}`,
    ]);
    assertEquals([result.code, result.stdoutText], [
      0,
      `127.0.0.1:${port} open\n127.0.0.1:${port} open\n`,
    ]);
    const other = closedPort();
    const mixed = await runCli(["connect", "-z", `127.0.0.1:${port}`, `127.0.0.1:${other}`]);
    assertEquals(mixed.code, 1);
    assertEquals(
      mixed.stdoutText,
      `127.0.0.1:${port} open\n127.0.0.1:${other} closed (connection refused)\n`,
    );
  } finally {
    listener.close();
  }
});

Deno.test("--wait succeeds when the server appears late", async () => {
  const port = closedPort();
  const child = spawnCli(["connect", "-z", "--wait", "20s", `127.0.0.1:${port}`]);
  const output = child.output();
  await new Promise((r) => setTimeout(r, 700));
  const listener = Deno.listen({ hostname: "127.0.0.1", port });
  try {
    const result = await output;
    assertEquals(result.code, 0, new TextDecoder().decode(result.stderr));
  } finally {
    listener.close();
  }
});

Deno.test("--wait fails after its time with exit 1", async () => {
  const port = closedPort();
  const result = await runCli(["connect", "-z", "--wait", "300ms", `127.0.0.1:${port}`]);
  assertEquals(result.code, 1);
  assertMatch(
    result.stderr,
    /^tcpkit: cannot connect to "127\.0\.0\.1:\d+": not accepting connections after waiting 300 ms \(last error: connection refused\)\n$/,
  );
  const piped = await runCli(["connect", "--wait", "200ms", `127.0.0.1:${port}`], { stdin: "x" });
  assertEquals(piped.code, 1);
});

Deno.test("unix sockets: pipe round trip and -z", async () => {
  const dir = await Deno.makeTempDir();
  const path = `${dir}/echo.sock`;
  const server = await startServe([`unix:${path}`, "--quiet"]);
  try {
    const data = randomBytes(MiB + 3);
    const result = await runCli(["connect", `unix:${path}`], { stdin: data });
    assertEquals(result.code, 0, result.stderr);
    assertEquals(await sha256(result.stdout), await sha256(data));
    assertEquals((await runCli(["connect", "-z", `unix:${path}`])).code, 0);
  } finally {
    await server.stop();
  }
  const gone = await runCli(["connect", "-z", `unix:${path}`]);
  assertEquals(gone.code, 1);
  assertMatch(gone.stderr, /^tcpkit: cannot connect to "unix:.*": not found\n$/);
  await Deno.remove(dir, { recursive: true });
});

Deno.test("IPv6 loopback round trip", async () => {
  let server;
  try {
    server = await startServe(["[::1]:0", "--quiet"]);
  } catch {
    return; // no IPv6 loopback on this machine
  }
  try {
    const result = await runCli(["connect", server.address], { stdin: "six" });
    assertEquals([result.code, result.stdoutText], [0, "six"]);
  } finally {
    await server.stop();
  }
});

Deno.test("errors: one stderr line and exit 1 (refused, reset, idle, file)", async () => {
  const port = closedPort();
  const refused = await runCli(["connect", `127.0.0.1:${port}`], { stdin: "x" });
  assertEquals([refused.code, refused.stderr], [
    1,
    `tcpkit: cannot connect to "127.0.0.1:${port}": connection refused\n`,
  ]);

  // Unknown host names are not tested: resolving one queries a non-loopback DNS server.

  const peer = await pythonPeer(RESET_PEER);
  try {
    const child = spawnCli(["connect", `127.0.0.1:${peer.port}`], { stdin: true });
    const result = await outputLeavingStdinOpen(child);
    assertEquals([result.code, result.stdout, result.stderr], [
      1,
      "partial",
      "tcpkit: cannot receive: connection reset by peer\n",
    ]);
  } finally {
    await peer.close();
  }

  const silent = oneShotPeer(async (conn) => await readToEnd(conn));
  const idle = spawnCli(["connect", "--idle-timeout", "300ms", `127.0.0.1:${silent.port}`], {
    stdin: true,
  });
  const idleResult = await outputLeavingStdinOpen(idle);
  await silent.done;
  assertEquals([idleResult.code, idleResult.stderr], [
    1,
    "tcpkit: no data either way for 300 ms (--idle-timeout)\n",
  ]);

  const missing = await runCli(["connect", "--send-file", "/no/such/file", `127.0.0.1:${port}`]);
  assertEquals([missing.code, missing.stderr], [
    1,
    'tcpkit: cannot read "/no/such/file": not found\n',
  ]);
});

Deno.test("--timeout: a connect that gets no answer fails with exit 1", async () => {
  const peer = await pythonPeer(FULL_BACKLOG_PEER);
  try {
    const address = `127.0.0.1:${peer.port}`;
    const result = await runCli(["connect", "--timeout", "300ms", address], { stdin: "x" });
    assertEquals([result.code, result.stderr], [
      1,
      `tcpkit: cannot connect to "${address}": timed out\n`,
    ]);
    const check = await runCli(["connect", "-z", "-w", "200ms", "--wait", "600ms", address]);
    assertEquals(check.code, 1);
    assertMatch(check.stderr, /after waiting 600 ms \(last error: timed out\)\n$/);
  } finally {
    await peer.close();
  }
});

Deno.test("usage errors exit 2", async () => {
  const cases: string[][] = [
    ["connect", "127.0.0.1:1", "127.0.0.1:2"],
    ["connect", "--send", "a", "--send-file", "f", "127.0.0.1:1"],
    ["connect", "--repeat", "2", "127.0.0.1:1"],
    ["connect", "-z", "--send", "a", "127.0.0.1:1"],
    ["connect", "127.0.0.1:0"],
    ["connect", "--timeout", "0s", "127.0.0.1:1"],
  ];
  for (const args of cases) {
    const result = await runCli(args);
    assertEquals(result.code, 2, args.join(" "));
    assertMatch(result.stderr, /^tcpkit: .+\n$/);
  }
});

Deno.test("address mistakes are usage errors naming the fix, in one short line", async () => {
  const longName = "a".repeat(100_000);
  const cases: [string[], string][] = [
    [
      ["connect", "tcp://127.0.0.1:80"],
      'schemes such as "tcp://" are not supported; write 127.0.0.1:80',
    ],
    [["connect", "127.0.0.1"], 'address "127.0.0.1" is missing a port, e.g. 127.0.0.1:PORT'],
    [["connect", "127.0.0.1:80-90"], "has a port range; ranges work only with -z/--check"],
    [["connect", "a..b:80"], 'has an invalid host "a..b": empty label'],
    [["connect", `${"x".repeat(64)}.com:80`], "a label is longer than 63 characters"],
    [["connect", `${longName}:80`], `"${"a".repeat(40)}…" (100000 characters): longer than 253`],
    [["connect", `unix:/tmp/${"s".repeat(200)}`], "has a unix socket path of 205 bytes"],
    [["serve", `unix:/tmp/${"s".repeat(200)}`], "has a unix socket path of 205 bytes"],
  ];
  for (const [args, message] of cases) {
    const result = await runCli(args);
    const what = `${args.join(" ").slice(0, 60)}: ${result.stderr.slice(0, 300)}`;
    assertEquals(result.code, 2, what);
    assertMatch(result.stderr, /^tcpkit: invalid ADDRESS: [^\n]+\n$/, what);
    assert(result.stderr.includes(message), what);
    assert(result.stderr.length < 400, what);
  }
});

Deno.test("serve --stdio bridges one connection both ways and exits", async () => {
  const server = spawnCli(["serve", "--stdio", "127.0.0.1:0"], { stdin: true });
  const stderr = new LineReader(server.stderr);
  const received = new Response(server.stdout).arrayBuffer();
  const address = (await stderr.waitFor(/listening on (\S+)/))[1];
  const writer = server.stdin.getWriter();
  await writer.write(new TextEncoder().encode("from server\n"));
  await writer.close();
  const client = await runCli(["connect", address], { stdin: "from client\n" });
  const [status, bytes] = await Promise.all([server.status, received]);
  await stderr.done;
  assertEquals([client.code, client.stdoutText], [0, "from server\n"]);
  assertEquals([status.code, new TextDecoder().decode(bytes)], [0, "from client\n"]);
  assertMatch(stderr.text, /\[#1\] 127\.0\.0\.1:\d+ connected/);
});
