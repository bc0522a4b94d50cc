/** Pure parts of `connect`: terminal escaping, the --wait backoff, result lines. */

import { assertEquals } from "@std/assert";
import {
  escapeForTerminal,
  escapeOneLine,
  TerminalEscaper,
} from "../lib/connect/terminal_escape.ts";
import { backoffDelayMs } from "../lib/common/backoff.ts";
import { renderCheckLine, renderTransferSummary } from "../lib/connect/report.ts";
import { RepeatReader } from "../lib/connect/connect.ts";
import { README } from "./readme_blocks.ts";

const bytes = (...values: number[]) => new Uint8Array(values);
const text = (s: string) => new TextEncoder().encode(s);

Deno.test("escapeForTerminal shows control bytes and bad UTF-8 as escapes", () => {
  const cases: [Uint8Array, string][] = [
    [text("hello\n"), "hello\n"],
    [text("a\tb"), "a\tb"],
    [text("+OK\r\n"), "+OK\n"],
    [text("a\rb"), "a\\rb"],
    [text("\x1b[31mred\x1b[0m"), "\\e[31mred\\e[0m"],
    [bytes(0, 7, 8, 0x7f), "\\x00\\a\\b\\x7f"],
    [text("\x0012"), "\\x0012"], // not "\\012", which reads as octal 012 (a newline)
    [bytes(0x01, 0x1f), "\\x01\\x1f"],
    [text("héllo €"), "héllo €"],
    [bytes(0xff, 0xfe), "\\xff\\xfe"],
    [bytes(0xc3), "\\xc3"], // truncated sequence at the end
    [bytes(0xc3, 0x41), "\\xc3A"],
    [bytes(0xc2, 0x9b), "\\u{9b}"], // C1 CSI
    [text("a\u202eb"), "a\\u{202e}b"], // bidi override
    [text("\r"), "\\r"],
    [new Uint8Array(0), ""],
  ];
  for (const [input, expected] of cases) {
    assertEquals(escapeForTerminal(input), expected, JSON.stringify(Array.from(input)));
  }
});

Deno.test("the README's interactive-mode escapes are the ones shown", () => {
  // README: "... shown as escapes (`\e[31m`, `\x00`, `\r`; ..."
  const sentence = /shown as escapes \(([^;)]*)/.exec(README.replace(/\s+/g, " "))?.[1];
  assertEquals(sentence, "`\\e[31m`, `\\x00`, `\\r`");
  assertEquals(escapeForTerminal(text("\x1b[31m\x00\r")), "\\e[31m\\x00\\r");
});

Deno.test("escapeOneLine also shows newlines, CRs and tabs", () => {
  assertEquals(escapeOneLine(text("PING\r\n")), "PING\\r\\n");
  assertEquals(escapeOneLine(text("a\tb\n\x1b")), "a\\tb\\n\\e");
});

Deno.test("TerminalEscaper joins UTF-8 and CRLF split across chunks", () => {
  const euro = text("€"); // 3 bytes
  const cases: [Uint8Array[], string][] = [
    [[euro.subarray(0, 1), euro.subarray(1)], "€"],
    [[euro.subarray(0, 2), euro.subarray(2)], "€"],
    [[text("x\r"), text("\ny")], "x\ny"],
    [[text("x\r"), text("y")], "x\\ry"],
    [[euro.subarray(0, 2), text("A")], "\\xe2\\x82A"],
  ];
  for (const [chunks, expected] of cases) {
    const escaper = new TerminalEscaper();
    const out = chunks.map((c) => escaper.push(c)).join("") + escaper.flush();
    assertEquals(out, expected);
  }
});

Deno.test("backoffDelayMs doubles to a cap and never passes the deadline", () => {
  const cases: [number, number, number][] = [
    // attempt, remainingMs, expected
    [1, 10_000, 50],
    [2, 10_000, 100],
    [3, 10_000, 200],
    [5, 10_000, 800],
    [6, 10_000, 1000],
    [40, 10_000, 1000],
    [6, 300, 300],
    [1, 0, 0],
    [1, -5, 0],
  ];
  for (const [attempt, remaining, expected] of cases) {
    assertEquals(backoffDelayMs(attempt, remaining), expected, `attempt ${attempt}`);
  }
});

Deno.test("renderCheckLine prints address, open|closed, then the reason", () => {
  assertEquals(renderCheckLine({ address: "127.0.0.1:80", open: true }), "127.0.0.1:80 open");
  assertEquals(
    renderCheckLine({ address: "[::1]:81", open: false, reason: "connection refused" }),
    "[::1]:81 closed (connection refused)",
  );
  assertEquals(renderCheckLine({ address: "unix:/x", open: false }), "unix:/x closed");
});

Deno.test("renderTransferSummary: exact byte counts, scaled when large, and the time", () => {
  const cases: [[number, number, number], string][] = [
    [[6, 6, 1.2], "sent 6 bytes, received 6 bytes in 1.2 ms"],
    [[0, 1, 0], "sent 0 bytes, received 1 byte in 0 s"],
    [
      [1_048_576, 3 * 1024 ** 3, 12_340],
      "sent 1048576 bytes (1 MiB), received 3221225472 bytes (3 GiB) in 12.3 s",
    ],
  ];
  for (const [[sent, received, ms], line] of cases) {
    assertEquals(renderTransferSummary(sent, received, ms), line);
  }
});

Deno.test("RepeatReader yields the payload N times, then EOF", async () => {
  const cases: [string, number, number][] = [["ab\n", 3, 4], ["", 2, 4], ["hello", 1, 2]];
  for (const [payload, times, bufferBytes] of cases) {
    const reader = new RepeatReader(text(payload), times, 0);
    const buffer = new Uint8Array(bufferBytes);
    let out = "";
    for (let n = await reader.read(buffer); n !== null; n = await reader.read(buffer)) {
      out += new TextDecoder().decode(buffer.subarray(0, n));
    }
    assertEquals(out, payload.repeat(times));
  }
});
