import { assert, assertEquals } from "@std/assert";
import { connectionBudget, FD_HEADROOM, parseUlimitOutput } from "../lib/common/fd_limit.ts";
import { ServeCounters } from "../lib/serve/counters.ts";
import { type LogEvent, renderLogEvent } from "../lib/serve/log.ts";
import { MAX_BUFFER, MIN_BUFFER, nextBufferSize } from "../lib/serve/modes.ts";

const NOW = new Date("2026-01-02T03:04:05.678Z");

Deno.test("log events render as text", () => {
  const table: [Parameters<typeof renderLogEvent>[0], string][] = [
    [
      { event: "listening", address: "127.0.0.1:9999", mode: "echo", maxConns: 100, workers: 1 },
      "listening on 127.0.0.1:9999 (mode echo, max-conns 100)",
    ],
    [
      { event: "listening", address: "[::1]:80", mode: "source", maxConns: 5, workers: 2 },
      "listening on [::1]:80 (mode source, max-conns 5, 2 workers)",
    ],
    [{ event: "open", id: 3, peer: "127.0.0.1:5000" }, "[#3] 127.0.0.1:5000 connected"],
    [
      {
        event: "close",
        id: 3,
        peer: "127.0.0.1:5000",
        bytesIn: 2048,
        bytesOut: 10,
        durationMs: 1500,
        reason: "idle timeout",
      },
      "[#3] 127.0.0.1:5000 closed: idle timeout; in 2 KiB, out 10 B, 1.5 s",
    ],
    [
      {
        event: "close",
        id: 4,
        peer: "unix:/tmp/s",
        bytesIn: 0,
        bytesOut: 0,
        durationMs: 0.5,
        reason: "error",
        error: "broken",
      },
      "[#4] unix:/tmp/s closed: error (broken); in 0 B, out 0 B, 500 µs",
    ],
    [
      { event: "refused", peer: "127.0.0.1:1", reason: "max-conns 1 reached" },
      "refused 127.0.0.1:1: max-conns 1 reached",
    ],
    [{ event: "warning", message: "careful" }, "warning: careful"],
    [
      { event: "shutdown", open: 1, drainTimeoutMs: 5000 },
      "shutting down: 1 open connection, waiting up to 5 s",
    ],
    [
      {
        event: "summary",
        served: 7,
        refused: 2,
        peakConcurrent: 3,
        bytesIn: 100,
        bytesOut: 100,
        durationMs: 65_000,
      },
      "summary: 7 served, 2 refused, peak 3 concurrent, in 100 B, out 100 B, up 1m 5s",
    ],
  ];
  for (const [event, line] of table) assertEquals(renderLogEvent(event, "text", NOW), line);
});

Deno.test("log events render as JSON with snake_case keys", () => {
  const line = renderLogEvent(
    {
      event: "close",
      id: 1,
      peer: "127.0.0.1:2",
      bytesIn: 5,
      bytesOut: 6,
      durationMs: 7,
      reason: "client closed",
    },
    "json",
    NOW,
  );
  assertEquals(JSON.parse(line), {
    ts: "2026-01-02T03:04:05.678Z",
    event: "close",
    id: 1,
    peer: "127.0.0.1:2",
    bytes_in: 5,
    bytes_out: 6,
    duration_ms: 7,
    reason: "client closed",
  });
  assert(!line.includes("\n"));
});

Deno.test("JSON durations are rounded to the microsecond; every field keeps its unit", () => {
  const json = (event: LogEvent) => JSON.parse(renderLogEvent(event, "json", NOW));
  const close: LogEvent = {
    event: "close",
    id: 1,
    peer: "p",
    bytesIn: 0,
    bytesOut: 0,
    durationMs: 25.93825199999992,
    reason: "client closed",
  };
  assertEquals(json(close).duration_ms, 25.938);
  assertEquals(json({ ...close, durationMs: 0.0004 }).duration_ms, 0);
  assertEquals(json({ ...close, durationMs: 1234.5678 }).duration_ms, 1234.568);
  const summary = json({
    event: "summary",
    served: 1,
    refused: 0,
    peakConcurrent: 1,
    bytesIn: 3,
    bytesOut: 3,
    durationMs: 4310.123456,
  });
  assertEquals(summary.duration_ms, 4310.123);
  assertEquals(summary.peak_concurrent, 1);
  assertEquals(json({ event: "shutdown", open: 2, drainTimeoutMs: 5000 }).drain_timeout_ms, 5000);
});

Deno.test("the error event: one text line as before, or one JSON object", () => {
  const error: LogEvent = { event: "error", message: 'cannot listen on ":1": x', exitCode: 1 };
  assertEquals(renderLogEvent(error, "text", NOW), 'tcpkit: cannot listen on ":1": x');
  assertEquals(JSON.parse(renderLogEvent(error, "json", NOW)), {
    ts: "2026-01-02T03:04:05.678Z",
    event: "error",
    message: 'cannot listen on ":1": x',
    exit_code: 1,
  });
});

Deno.test("ulimit output and connection budget", () => {
  assertEquals(parseUlimitOutput("1024\n"), 1024);
  assertEquals(parseUlimitOutput("unlimited\n"), Number.MAX_SAFE_INTEGER);
  assertEquals(parseUlimitOutput(""), undefined);
  assertEquals(parseUlimitOutput("0"), undefined);
  assertEquals(parseUlimitOutput("lots"), undefined);
  assertEquals(connectionBudget(20000), 20000 - FD_HEADROOM);
  assertEquals(connectionBudget(10), 1);
});

Deno.test("counters enforce the limit and track the peak", () => {
  const counters = new ServeCounters();
  assertEquals(counters.tryOpen(2), 1);
  assertEquals(counters.tryOpen(2), 2);
  assertEquals(counters.tryOpen(2), 0);
  counters.close(10, 20);
  assertEquals(counters.tryOpen(2), 3);
  counters.close(1, 2);
  counters.close(0, 0);
  const shared = new ServeCounters(counters.buffer);
  assertEquals(shared.active, 0);
  assertEquals(shared.snapshot(), {
    served: 3,
    refused: 1,
    peakConcurrent: 2,
    bytesIn: 11,
    bytesOut: 22,
  });
});

Deno.test("buffers grow when full and shrink when mostly empty", () => {
  assertEquals(nextBufferSize(MIN_BUFFER, MIN_BUFFER), MIN_BUFFER * 4);
  assertEquals(nextBufferSize(MIN_BUFFER, 64), MIN_BUFFER);
  assertEquals(nextBufferSize(MAX_BUFFER, MAX_BUFFER), MAX_BUFFER);
  assertEquals(nextBufferSize(MAX_BUFFER, 100), MAX_BUFFER / 4);
  assertEquals(nextBufferSize(64 * 1024, 16 * 1024), 64 * 1024);
});
