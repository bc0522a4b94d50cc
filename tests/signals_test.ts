/** Ctrl-C behaviour shell users expect: bench reports what it has and exits 130. */

import { assertEquals, assertMatch } from "./assert.ts";
import { LineReader, spawnCli } from "./helpers.ts";

Deno.test("SIGINT during bench prints the results so far and exits 130", async () => {
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
  child.kill("SIGINT");
  const [status, out] = await Promise.all([child.status, stdout]);
  await stderr.done;
  assertEquals(status.code, 130, stderr.text);
  const result = JSON.parse(out).result;
  assertEquals(result.mismatches, 0);
  assertEquals(result.messages > 0, true);
  assertMatch(stderr.text, /msgs\/s/);
});
