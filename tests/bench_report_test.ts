import { assertEquals } from "@std/assert";
import { stripAnsiCode } from "@std/fmt/colors";
import { textWidth } from "../lib/common/format.ts";
import {
  ANSI,
  type BenchResult,
  type BenchSpec,
  formatUs,
  isClean,
  rateLabel,
  renderJson,
  renderProgress,
  renderText,
  SATURATED_BUSY,
  saturationWarning,
} from "../lib/bench/report.ts";

const SPEC: BenchSpec = {
  target: "127.0.0.1:9000",
  embeddedServer: false,
  mode: "echo",
  connections: 50,
  sizeBytes: 64,
  durationMs: 2000,
  count: undefined,
  pipeline: 1,
  warmupMs: 1000,
  rate: undefined,
  workers: 2,
  timeoutMs: 10_000,
};

const LATENCY = {
  count: 200_000,
  min: 80,
  p50: 210,
  p90: 300,
  p99: 950,
  p999: 2100,
  max: 15_000,
  mean: 230.5,
};

const RESULT: BenchResult = {
  messages: 200_000,
  durationMs: 2000,
  bytesSent: 12_800_000,
  bytesReceived: 12_800_000,
  latency: LATENCY,
  latencyBins: [
    { fromUs: 80, toUs: 500, count: 190_000 },
    { fromUs: 500, toUs: 15_000, count: 10_000 },
  ],
  connectLatency: { count: 50, min: 40, p50: 60, p90: 90, p99: 120, p999: 120, max: 120, mean: 65 },
  connections: 50,
  mismatches: 0,
  errors: { connect: 0, closed: 0, reset: 0, stall: 0, other: 0 },
  errorSamples: [],
  latencyHistogram: "HISTFAAA",
  connectLatencyHistogram: "HISTFBBB",
  clientCpu: { userMs: 1200, systemMs: 600, wallMs: 2000, cores: 2 },
};

Deno.test("renderText: clean closed-loop report", () => {
  assertEquals(
    renderText(SPEC, RESULT),
    [
      "tcpkit bench 127.0.0.1:9000",
      "  closed loop, pipeline 1: 50 connections, 64 B messages, 2 workers",
      "  measured 2 s after 1 s warmup: 200000 messages",
      "",
      "Throughput",
      "  msgs/s    100k",
      "  sent      6.1 MiB/s (12.2 MiB)",
      "  received  6.1 MiB/s (12.2 MiB)",
      "  cpu       45.0% of 2 cores (user 30.0%, system 15.0%)",
      "",
      "Latency",
      "                 min      p50      p90      p99    p99.9      max     mean",
      "  round        80 µs   210 µs   300 µs   950 µs   2.1 ms    15 ms   231 µs",
      "  connect      40 µs    60 µs    90 µs   120 µs   120 µs   120 µs    65 µs",
      "",
      "Latency histogram",
      "  <=   500 µs  95.0% ########################################",
      "  <=    15 ms   5.0% ##",
      "",
      "No errors: every echoed byte matched",
      "",
    ].join("\n"),
  );
});

Deno.test("renderText: stream mode does not claim to have checked echoes", () => {
  const stream = renderText({ ...SPEC, mode: "stream" }, { ...RESULT, latency: undefined });
  assertEquals(stream.trimEnd().split("\n").at(-1), "No errors");
  const echo = renderText(SPEC, RESULT);
  assertEquals(echo.trimEnd().split("\n").at(-1), "No errors: every echoed byte matched");
});

Deno.test("renderText: errors and mismatches are listed", () => {
  const result: BenchResult = {
    ...RESULT,
    mismatches: 1,
    errors: { connect: 0, closed: 2, reset: 0, stall: 1, other: 0 },
    errorSamples: ["connection 3: byte 100 of the echo is 0x00, expected 0x41"],
  };
  const text = renderText({ ...SPEC, rate: 5000, embeddedServer: true }, result);
  const lines = text.split("\n");
  assertEquals(lines[0], "tcpkit bench 127.0.0.1:9000 (embedded tcpkit echo server)");
  assertEquals(
    lines[1],
    "  open loop at 5k msgs/s, pipeline 1: 50 connections, 64 B messages, 2 workers",
  );
  assertEquals(lines.slice(-3), [
    "Errors: 3 (closed 2, stall 1), mismatches: 1",
    "  connection 3: byte 100 of the echo is 0x00, expected 0x41",
    "",
  ]);
  assertEquals(isClean(result), false);
  assertEquals(isClean(RESULT), true);
});

Deno.test("renderText: colour only when asked, and stripAnsiCode undoes it", () => {
  assertEquals(renderText(SPEC, RESULT).includes("\x1b["), false);
  const coloured = renderText(SPEC, RESULT, ANSI);
  // @std/fmt/colors stays plain when the test run itself has NO_COLOR set.
  if (!Deno.noColor) assertEquals(coloured.startsWith("\x1b[1mtcpkit bench"), true);
  assertEquals(stripAnsiCode(coloured), renderText(SPEC, RESULT));
});

Deno.test("renderText: stream mode has no latency table", () => {
  const text = renderText(
    { ...SPEC, mode: "stream", sizeBytes: 131072 },
    { ...RESULT, messages: 10, bytesReceived: 0, latency: undefined, latencyBins: [] },
  );
  assertEquals(text.includes("  writes/s  5"), true);
  assertEquals(text.includes("round"), false);
  assertEquals(text.includes("  stream: 50 connections, 128 KiB messages"), true);
});

Deno.test("renderJson: documented shape and units", () => {
  const doc = JSON.parse(renderJson(SPEC, RESULT));
  assertEquals(Object.keys(doc), ["spec", "result", "error"]);
  assertEquals(doc.spec, {
    target: "127.0.0.1:9000",
    embedded_server: false,
    mode: "echo",
    connections: 50,
    size_bytes: 64,
    duration_ms: 2000,
    count: null,
    pipeline: 1,
    warmup_ms: 1000,
    rate_msgs_per_sec: null,
    workers: 2,
    timeout_ms: 10000,
  });
  assertEquals(doc.result, {
    messages: 200000,
    duration_ms: 2000,
    msgs_per_sec: 100000,
    bytes_sent: 12800000,
    bytes_received: 12800000,
    bytes_per_sec: 12800000,
    sent_bytes_per_sec: 6400000,
    received_bytes_per_sec: 6400000,
    latency_us: { min: 80, p50: 210, p90: 300, p99: 950, p999: 2100, max: 15000, mean: 230.5 },
    connect_latency_us: { min: 40, p50: 60, p90: 90, p99: 120, p999: 120, max: 120, mean: 65 },
    connections: 50,
    errors: 0,
    error_kinds: { connect: 0, closed: 0, reset: 0, stall: 0, other: 0 },
    error_samples: [],
    mismatches: 0,
    latency_histogram_us: "HISTFAAA",
    connect_latency_histogram_us: "HISTFBBB",
    client_cpu: {
      user_ms: 1200,
      system_ms: 600,
      wall_ms: 2000,
      cores: 2,
      busy_percent: 45,
      saturated: false,
    },
  });
  assertEquals(doc.error, null);
});

Deno.test("renderJson: a failed run still makes one document, with why", () => {
  const doc = JSON.parse(renderJson(SPEC, { ...RESULT, clientCpu: undefined }, "it broke"));
  assertEquals(Object.keys(doc), ["spec", "result", "error"]);
  assertEquals([doc.error, doc.result.client_cpu], ["it broke", null]);
});

Deno.test("renderJson: unmeasured latency is null", () => {
  const doc = JSON.parse(
    renderJson(SPEC, { ...RESULT, latency: undefined, connectLatency: undefined }),
  );
  assertEquals([doc.result.latency_us, doc.result.connect_latency_us], [null, null]);
});

Deno.test("renderProgress: the report's words and units, per mode", () => {
  const interval = {
    elapsedS: 2,
    durationMs: 1000,
    messages: 123_400,
    p99Us: 215,
    cpuBusy: 0.97,
    warmup: false,
  };
  assertEquals(
    renderProgress("echo", 64, interval),
    "[   2 s]  msgs/s  123k  sent 7.53 MiB/s  received 7.53 MiB/s  p99  215 µs  cpu  97.0%",
  );
  assertEquals(
    renderProgress("connect", 64, { ...interval, messages: 1234, cpuBusy: undefined }),
    "[   2 s]  conns/s 1.23k  sent 77.1 KiB/s  received 77.1 KiB/s  p99  215 µs",
  );
  // Stream mode sends only, and measures no round trip.
  assertEquals(
    renderProgress("stream", 131072, { ...interval, messages: 800, p99Us: undefined }),
    "[   2 s]  writes/s   800  sent  100 MiB/s  cpu  97.0%",
  );
  assertEquals(
    renderProgress("echo", 64, {
      elapsedS: 0.5,
      durationMs: 500,
      messages: 0,
      p99Us: undefined,
      cpuBusy: 0,
      warmup: true,
    }),
    "[500 ms]  msgs/s     0  sent      0 B/s  received      0 B/s  p99       -  cpu   0.0%  (warmup)",
  );
});

Deno.test("progress and report say the same thing the same way", () => {
  for (const mode of ["echo", "stream", "connect"] as const) {
    const spec = { ...SPEC, mode };
    const result = {
      ...RESULT,
      bytesReceived: mode === "stream" ? 0 : RESULT.bytesReceived,
      latency: mode === "stream" ? undefined : RESULT.latency,
    };
    const report = renderText(spec, result);
    // The same interval as the whole measured window: the same rate, bytes and labels.
    const line = renderProgress(mode, spec.sizeBytes, {
      elapsedS: 3,
      durationMs: result.durationMs,
      messages: result.messages,
      p99Us: result.latency?.p99,
      cpuBusy: 0.45,
      warmup: false,
    });
    assertEquals(line.includes(`${rateLabel(mode)}  100k`), true, line);
    assertEquals(report.includes(`  ${rateLabel(mode)}`), true, report);
    assertEquals(line.includes("sent  6.1 MiB/s") && report.includes("sent      6.1 MiB/s"), true);
    const receives = mode !== "stream";
    assertEquals(line.includes("received"), receives, line);
    assertEquals(report.includes("received"), receives, report);
    assertEquals(
      line.includes("cpu  45.0%") && report.includes("cpu       45.0% of 2 cores"),
      true,
    );
  }
});

Deno.test("renderText: the embedded server is named for what it is", () => {
  const first = (spec: BenchSpec) => renderText(spec, RESULT).split("\n")[0];
  assertEquals(
    first({ ...SPEC, embeddedServer: true }),
    "tcpkit bench 127.0.0.1:9000 (embedded tcpkit echo server)",
  );
  assertEquals(
    first({ ...SPEC, embeddedServer: true, mode: "stream" }),
    "tcpkit bench 127.0.0.1:9000 (embedded tcpkit discard server)",
  );
});

Deno.test("renderText: no warmup, no 'after 0 s warmup'", () => {
  const line = (warmupMs: number) => renderText({ ...SPEC, warmupMs }, RESULT).split("\n")[2];
  assertEquals(line(0), "  measured 2 s: 200000 messages");
  assertEquals(line(1500), "  measured 2 s after 1.5 s warmup: 200000 messages");
});

Deno.test("saturationWarning: from 90% of the client's cores on", () => {
  const at = (busy: number, cores: number) =>
    saturationWarning({
      ...RESULT,
      clientCpu: { userMs: busy * 1000 * cores, systemMs: 0, wallMs: 1000, cores },
    });
  assertEquals(SATURATED_BUSY, 0.9);
  assertEquals(at(0.89, 1), undefined);
  assertEquals(
    at(0.97, 1),
    "warning: client CPU 97.0% of 1 core: " +
      "results reflect this client: add --workers or run it on another machine",
  );
  assertEquals(at(0.9, 3)?.startsWith("warning: client CPU 90.0% of 3 cores:"), true);
  assertEquals(saturationWarning({ ...RESULT, clientCpu: undefined }), undefined);
});

Deno.test("formatUs", () => {
  assertEquals([formatUs(0.4), formatUs(85), formatUs(1250), formatUs(2_000_000)], [
    "0.4 µs",
    "85 µs",
    "1.25 ms",
    "2 s",
  ]);
});

Deno.test("renderText: a wide latency widens its column; rows stay aligned", () => {
  const slow = { ...LATENCY, p90: 3_725_000_000 }; // 1h 2m 5s
  const lines = renderText(SPEC, { ...RESULT, latency: slow }).split("\n");
  const header = lines.find((line) => line.includes("p99.9"))!;
  const rows = lines.filter((line) => /^ {2}(round|connect) /.test(line));
  assertEquals(rows[0].includes(" 1h 2m 5s "), true, rows[0]);
  const end = (line: string, cell: string) => line.indexOf(cell) + cell.length;
  assertEquals(end(rows[0], "1h 2m 5s"), end(header, "p90"));
  assertEquals(end(rows[1], "90 µs"), end(header, "p90"));
  for (const row of rows) assertEquals(textWidth(row), textWidth(header));
});
