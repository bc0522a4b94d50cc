/**
 * Ctrl-C behaviour shell users expect: bench reports what it has and exits 130 (143 on
 * SIGTERM, from `timeout` or a service manager); connect ends at once with 130 and says
 * nothing.
 */

import { assertEquals, assertMatch } from "@std/assert";
import { LineReader, spawnCli, startServe } from "./helpers.ts";

for (const [signal, code] of [["SIGINT", 130], ["SIGTERM", 143]] as const) {
  Deno.test(`${signal} during bench prints the results so far and exits ${code}`, async () => {
    const child = spawnCli([
      "bench",
      "-c",
      "4",
      "-d",
      "30s",
      "--warmup",
      "0s",
      "-i",
      "100ms",
      "--json",
    ]);
    const stderr = new LineReader(child.stderr);
    const stdout = new Response(child.stdout).text();
    await stderr.waitFor(/msgs\/s/, 20_000); // a progress line: measuring has begun
    child.kill(signal);
    const [status, out] = await Promise.all([child.status, stdout]);
    await stderr.done;
    assertEquals(status.code, code, stderr.text);
    const result = JSON.parse(out).result;
    assertEquals(result.mismatches, 0);
    assertEquals(result.messages > 0, true);
    assertMatch(stderr.text, /msgs\/s/);
  });
}

Deno.test("SIGINT during connect ends it with 130 and no message", async () => {
  const server = await startServe(["127.0.0.1:0"]);
  try {
    const child = spawnCli(["connect", server.address], { stdin: true });
    const writer = child.stdin.getWriter();
    await writer.write(new TextEncoder().encode("ping\n"));
    const stdout = child.stdout.getReader();
    await stdout.read(); // the echo arrived: connected and bridging
    child.kill("SIGINT");
    const [status, stderr] = await Promise.all([child.status, new Response(child.stderr).text()]);
    let more = 0;
    for (let r = await stdout.read(); !r.done; r = await stdout.read()) more += r.value.length;
    await writer.close().catch(() => {});
    assertEquals([status.code, more, stderr], [130, 0, ""]);
    await server.stderr.waitFor(/closed/);
  } finally {
    await server.stop();
  }
});
