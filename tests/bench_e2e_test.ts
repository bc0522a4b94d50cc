/**
 * End-to-end tests of `tcpkit bench`: the real CLI against its embedded server, a
 * `tcpkit serve` subprocess and deliberately faulty servers. Counts are checked, never speed.
 */

import { assert, assertEquals } from "@std/assert";
import { runCli, startServe } from "./helpers.ts";
import { type Fault, startFaultyServer } from "./bench_helpers.ts";

const QUICK = ["--warmup", "0s", "-i", "100ms"];

function json(stdout: string) {
  return JSON.parse(stdout);
}

Deno.test("bench: embedded server, text report, progress on stderr", async () => {
  const r = await runCli(["bench", "-d", "500ms", "--warmup", "200ms", "-c", "4", "-i", "100ms"]);
  assertEquals(r.code, 0, r.stderr);
  assert(r.stdoutText.startsWith("tcpkit bench 127.0.0.1:"), r.stdoutText);
  assert(r.stdoutText.includes("(embedded tcpkit echo server)"));
  assert(r.stdoutText.includes("No errors: every echoed byte matched"));
  assert(/^\[\s*\d+ ms\] +[\d.]+[kMG]? msgs\/s .* \(warmup\)$/m.test(r.stderr), r.stderr);
  assert(/ msgs\/s +[\d.]+ [KMG]?i?B\/s +p99 [\d.]+ [µm]?s$/m.test(r.stderr), r.stderr);
});

Deno.test("bench: --json against a tcpkit server holds the documented keys", async () => {
  const server = await startServe(["127.0.0.1:0", "--quiet"]);
  try {
    const r = await runCli(["bench", server.address, "-d", "400ms", "-c", "3", "--json", ...QUICK]);
    assertEquals(r.code, 0, r.stderr);
    const doc = json(r.stdoutText);
    assertEquals(doc.spec.target, server.address);
    assertEquals(doc.spec.embedded_server, false);
    const result = doc.result;
    assert(result.messages > 0);
    for (const key of ["msgs_per_sec", "bytes_per_sec", "errors", "mismatches"]) {
      assertEquals(typeof result[key], "number", key);
    }
    assertEquals(Object.keys(result.latency_us), [
      "min",
      "p50",
      "p90",
      "p99",
      "p999",
      "max",
      "mean",
    ]);
    assert(
      result.latency_us.min <= result.latency_us.p50 &&
        result.latency_us.p50 <= result.latency_us.max,
    );
    assertEquals(result.connect_latency_us.p50 > 0, true);
    assertEquals([result.errors, result.mismatches], [0, 0]);
    assertEquals(result.bytes_sent, result.messages * 64);
    assert(result.latency_histogram_us.startsWith("HISTF"));
  } finally {
    await server.stop();
  }
});

Deno.test("bench: -n stops at exactly N messages over several workers and a pipeline", async () => {
  const r = await runCli([
    "bench",
    "-n",
    "1001",
    "-c",
    "7",
    "--workers",
    "2",
    "--pipeline",
    "4",
    "-s",
    "1000",
    "--json",
    ...QUICK,
  ]);
  assertEquals(r.code, 0, r.stderr);
  const doc = json(r.stdoutText);
  assertEquals(doc.result.messages, 1001);
  assertEquals(doc.result.bytes_received, 1001 * 1000);
  assertEquals(doc.spec.count, 1001);
  assertEquals(doc.spec.duration_ms, null);
});

Deno.test("bench: open loop sends at the requested rate", async () => {
  const r = await runCli(["bench", "--rate", "400", "-d", "1s", "-c", "4", "--json", ...QUICK]);
  assertEquals(r.code, 0, r.stderr);
  const { messages } = json(r.stdoutText).result;
  // The schedule allows at most rate x duration (+1 per connection); a healthy run gets close.
  assert(messages >= 300 && messages <= 404, `messages ${messages}`);
});

const FAULTS: [Fault, string][] = [
  ["drop", "drops a byte"],
  ["flip", "flips a byte"],
  ["close", "closes early"],
];

for (const [fault, what] of FAULTS) {
  Deno.test(`bench: a server that ${what} is reported, exit 1`, async () => {
    const server = startFaultyServer(fault);
    try {
      const r = await runCli([
        "bench",
        `127.0.0.1:${server.port}`,
        "-d",
        "500ms",
        "-c",
        "2",
        "-s",
        "64",
        "--timeout",
        "500ms",
        "--json",
        ...QUICK,
      ]);
      assertEquals(r.code, 1, r.stderr);
      const result = json(r.stdoutText).result;
      if (fault === "close") assertEquals(result.error_kinds.closed, 2);
      else assertEquals(result.mismatches + result.errors >= 2, true, JSON.stringify(result));
      if (fault === "flip") assertEquals(result.mismatches, 2);
      assert(result.error_samples.length > 0);
    } finally {
      await server.close();
    }
  });
}

Deno.test("bench: text report names the mismatch, exit 1", async () => {
  const server = startFaultyServer("flip");
  try {
    const r = await runCli([
      "bench",
      `127.0.0.1:${server.port}`,
      "-d",
      "300ms",
      "-c",
      "1",
      ...QUICK,
    ]);
    assertEquals(r.code, 1, r.stderr);
    assert(r.stdoutText.includes("Errors: 0, mismatches: 1"), r.stdoutText);
    assert(/byte 100 of the echo is 0x[0-9a-f]{2}, expected 0x[0-9a-f]{2}/.test(r.stdoutText));
  } finally {
    await server.close();
  }
});

Deno.test("bench: a server that never answers is a stall error, not a hang", async () => {
  const server = startFaultyServer("silent");
  try {
    const r = await runCli([
      "bench",
      `127.0.0.1:${server.port}`,
      "-d",
      "2s",
      "-c",
      "2",
      "--timeout",
      "300ms",
      "--json",
      ...QUICK,
    ]);
    assertEquals(r.code, 1, r.stderr);
    assertEquals(json(r.stdoutText).result.error_kinds.stall, 2);
  } finally {
    await server.close();
  }
});

Deno.test("bench: connection refused is one line on stderr, exit 1", async () => {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (listener.addr as Deno.NetAddr).port;
  listener.close();
  const r = await runCli(["bench", `127.0.0.1:${port}`, "-d", "300ms", ...QUICK]);
  assertEquals(r.code, 1);
  assertEquals(r.stdoutText, "");
  assertEquals(
    r.stderr.trim(),
    `tcpkit: cannot benchmark "127.0.0.1:${port}": cannot connect: connection refused`,
  );
});

Deno.test("bench: --mode stream uploads into the embedded discard server", async () => {
  const r = await runCli([
    "bench",
    "--mode",
    "stream",
    "-d",
    "300ms",
    "-c",
    "2",
    "--json",
    ...QUICK,
  ]);
  assertEquals(r.code, 0, r.stderr);
  const doc = json(r.stdoutText);
  assertEquals(doc.spec.size_bytes, 128 * 1024);
  assert(doc.result.bytes_sent > 0);
  assertEquals(doc.result.bytes_sent, doc.result.messages * 128 * 1024);
  assertEquals(doc.result.latency_us, null);
});

Deno.test("bench: --mode connect opens, echoes and closes connections", async () => {
  const r = await runCli(["bench", "--mode", "connect", "-n", "60", "-c", "3", "--json", ...QUICK]);
  assertEquals(r.code, 0, r.stderr);
  const result = json(r.stdoutText).result;
  assertEquals([result.messages, result.connections], [60, 60]);
  assert(result.connect_latency_us.p50 > 0);
});

Deno.test("bench: usage errors exit 2", async () => {
  const r = await runCli(["bench", "-n", "5", "-d", "1s"]);
  assertEquals(r.code, 2);
  assert(r.stderr.includes("use either --count or --duration"), r.stderr);
});
