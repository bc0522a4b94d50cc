/**
 * Moving a file between two tcpkit processes, in both directions, when the other side's
 * stdin is empty (as for any command started with `&` in a script): its half-close must
 * not cut the transfer short.
 */

import { assertEquals } from "@std/assert";
import { LineReader, randomBytes, runCli, sha256, spawnCli } from "./helpers.ts";
import { PEER_EOF_GRACE_MS } from "../lib/common/pipe.ts";

Deno.test("serve --stdio > out receives a whole file from connect < in", async () => {
  const data = randomBytes(3 * 1024 * 1024 + 7);
  const server = spawnCli(["serve", "--stdio", "127.0.0.1:0"]); // stdin: /dev/null
  const stderr = new LineReader(server.stderr);
  const received = new Response(server.stdout).arrayBuffer();
  const port = (await stderr.waitFor(/listening on \S+:(\d+)/))[1];
  const sender = await runCli(["connect", `127.0.0.1:${port}`], { stdin: data });
  assertEquals(sender.code, 0, sender.stderr);
  const [status, bytes] = await Promise.all([server.status, received]);
  await stderr.done;
  assertEquals(status.code, 0, stderr.text);
  assertEquals(await sha256(new Uint8Array(bytes)), await sha256(data));
});

Deno.test("connect > out pulls a whole file from serve --stdio < in", async () => {
  const data = randomBytes(3 * 1024 * 1024 + 11);
  const server = spawnCli(["serve", "--stdio", "127.0.0.1:0"], { stdin: true });
  const stderr = new LineReader(server.stderr);
  const serverOut = server.stdout.cancel();
  const port = (await stderr.waitFor(/listening on \S+:(\d+)/))[1];
  const feeding = (async () => {
    const writer = server.stdin.getWriter();
    await writer.write(data);
    await writer.close();
  })();
  const receiver = await runCli(["connect", `127.0.0.1:${port}`], { stdin: "" });
  await feeding;
  const status = await server.status;
  await stderr.done;
  await serverOut;
  assertEquals(receiver.code, 0, receiver.stderr);
  assertEquals(status.code, 0, stderr.text);
  assertEquals(await sha256(receiver.stdout), await sha256(data));
});

/**
 * The client half-closes at once (stdin /dev/null) and the server's stdin pauses for
 * longer than the grace period before its last bytes: by default the server ends after
 * the pause; `--keep-sending` waits for its stdin's EOF and delivers everything.
 */
async function stalledStdinTransfer(extraFlags: string[]): Promise<string> {
  const server = spawnCli(["serve", "--stdio", "127.0.0.1:0", ...extraFlags], { stdin: true });
  const stderr = new LineReader(server.stderr);
  const serverOut = server.stdout.cancel();
  const port = (await stderr.waitFor(/listening on \S+:(\d+)/))[1];
  const writer = server.stdin.getWriter();
  const feeding = (async () => {
    await writer.write(new TextEncoder().encode("first\n"));
    await stderr.waitFor(/\] 127\.0\.0\.1:\d+ connected/);
    await new Promise((r) => setTimeout(r, 3 * PEER_EOF_GRACE_MS));
    await writer.write(new TextEncoder().encode("last\n")).catch(() => {});
    await writer.close().catch(() => {});
  })();
  const receiver = await runCli(["connect", `127.0.0.1:${port}`], { stdin: "" });
  await feeding;
  const status = await server.status;
  await stderr.done;
  await serverOut;
  assertEquals([receiver.code, status.code], [0, 0], receiver.stderr + stderr.text);
  return receiver.stdoutText;
}

Deno.test("serve --stdio --keep-sending sends all of a stalling stdin after the client's EOF", async () => {
  assertEquals(await stalledStdinTransfer(["--keep-sending"]), "first\nlast\n");
  assertEquals(await stalledStdinTransfer([]), "first\n");
});
