/** The run-from-source tasks and the compiled binary get the same runtime flags. */

import { assertEquals } from "@std/assert";
import denoJson from "../deno.json" with { type: "json" };

const runtimeFlags = (task: string) =>
  task.split(/\s+/).filter((w) => /^(-P=|--v8-flags=|--allow-|--unstable)/.test(w));

Deno.test("tcpkit, bench and compile tasks share permissions and V8 flags", () => {
  const compile = runtimeFlags(denoJson.tasks.compile);
  assertEquals(runtimeFlags(denoJson.tasks.tcpkit), compile);
  assertEquals(runtimeFlags(denoJson.tasks.bench), compile);
  // A 4 MB young generation: serve stays small with many idle connections, and bench does not
  // spend its time in scavenges (BENCHMARKS.md, "bench client").
  assertEquals(compile, ["-P=tcpkit", "--v8-flags=--max-semi-space-size=4"]);
});
