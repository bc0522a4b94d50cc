/**
 * The short reliability suite (perf/stress.ts --short) as part of the tests: floods,
 * fd exhaustion, slowloris, resets, non-reading clients, SIGTERM under load, a soak.
 */

import { assert, assertEquals, assertMatch } from "@std/assert";
import { ROOT } from "./helpers.ts";

Deno.test("stress suite (short): every scenario passes and loses nothing", async () => {
  const output = await new Deno.Command(Deno.execPath(), {
    args: ["run", "-q", "-A", "perf/stress.ts", "--short"],
    cwd: ROOT,
    stdin: "null",
    env: { NO_COLOR: "1" },
  }).output();
  const stdout = new TextDecoder().decode(output.stdout);
  const stderr = new TextDecoder().decode(output.stderr);
  assertEquals(output.code, 0, `${stdout}\n${stderr}`);
  const rows = stdout.split("\n").filter((l) =>
    l.startsWith("| ") && !/^\| (scenario|---) /.test(l)
  );
  assertEquals(rows.length, 7, stdout);
  for (const row of rows) assert(row.endsWith("| nothing |"), row);
  assertMatch(stdout, /7 passed, 0 failed/);
});
