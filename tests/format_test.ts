import { assertEquals } from "@std/assert";
import { stripAnsiCode } from "@std/fmt/colors";
import {
  alignColumns,
  type ColorContext,
  colorFor,
  formatByteRate,
  formatBytes,
  formatByteTotal,
  formatCount,
  formatDuration,
  formatDurationUs,
  formatPercent,
  formatRate,
  formatTransfer,
  padEndWidth,
  padStartWidth,
  styles,
  textWidth,
  useColor,
} from "../lib/common/format.ts";

function table<T>(fn: (value: T) => string, rows: [T, string][]) {
  for (const [value, expected] of rows) assertEquals(fn(value), expected, String(value));
}

Deno.test("formatBytes: binary units, three significant digits, exact below 1 KiB", () => {
  table(formatBytes, [
    [0, "0 B"],
    [1, "1 B"],
    [64, "64 B"],
    [12.34, "12.3 B"],
    [0.5, "0.5 B"],
    [100.4, "100 B"],
    [1000, "1000 B"],
    [1023, "1023 B"],
    [1024, "1 KiB"],
    [1536, "1.5 KiB"],
    [16 * 1024, "16 KiB"],
    [300_000, "293 KiB"],
    [1024 ** 2 - 1, "1020 KiB"],
    [1024 ** 2, "1 MiB"],
    [12_800_000, "12.2 MiB"],
    [50 * 1024 ** 2, "50 MiB"],
    [3 * 1024 ** 3, "3 GiB"],
    [2 * 1024 ** 4, "2 TiB"],
    [-2048, "-2 KiB"],
    [NaN, "-"],
    [Infinity, "-"],
  ]);
});

Deno.test("formatByteRate and formatByteTotal", () => {
  table(formatByteRate, [[0, "0 B/s"], [6_400_000, "6.1 MiB/s"], [1.3 * 1024 ** 3, "1.3 GiB/s"]]);
  table(formatByteTotal, [
    [0, "0 bytes"],
    [1, "1 byte"],
    [1023, "1023 bytes"],
    [1024, "1024 bytes (1 KiB)"],
    [1_048_576, "1048576 bytes (1 MiB)"],
  ]);
});

Deno.test("formatCount and formatRate: SI prefixes, three significant digits", () => {
  table(formatCount, [
    [0, "0"],
    [0.5, "0.5"],
    [9.999, "10"],
    [950, "950"],
    [999.4, "999"],
    [999.6, "1k"],
    [12_345, "12.3k"],
    [100_000, "100k"],
    [123_400, "123k"],
    [999_500, "1M"],
    [1_200_000, "1.2M"],
    [2.5e9, "2.5G"],
    [7e12, "7T"],
    [-1500, "-1.5k"],
    [NaN, "-"],
  ]);
  assertEquals(formatRate(123_400, "msgs"), "123k msgs/s");
  assertEquals(formatRate(20_000, "msgs"), "20k msgs/s");
});

Deno.test("formatDuration: µs, ms, s to three significant digits; minutes via @std", () => {
  table(formatDuration, [
    [0, "0 s"],
    [0.0004, "0.4 µs"],
    [0.085, "85 µs"],
    [0.85, "850 µs"],
    [0.9996, "1 ms"],
    [1.25, "1.25 ms"],
    [2.6, "2.6 ms"],
    [12.5, "12.5 ms"],
    [300, "300 ms"],
    [999.4, "999 ms"],
    [999.7, "1 s"],
    [1500, "1.5 s"],
    [3200, "3.2 s"],
    [10_000, "10 s"],
    [59_940, "59.9 s"],
    [59_996, "1m"],
    [65_000, "1m 5s"],
    [125_000, "2m 5s"],
    [3_725_000, "1h 2m 5s"],
    [90_061_000, "1d 1h 1m 1s"],
    [-5, "-5 ms"],
    [NaN, "-"],
  ]);
  table(formatDurationUs, [[0.4, "0.4 µs"], [85, "85 µs"], [1250, "1.25 ms"], [2e6, "2 s"]]);
});

Deno.test("formatPercent and formatTransfer", () => {
  table(formatPercent, [[0, "0.0%"], [0.95, "95.0%"], [1 / 3, "33.3%"], [1, "100.0%"]]);
  assertEquals(
    formatTransfer(6, 1_048_576, 520.3),
    "sent 6 bytes, received 1048576 bytes (1 MiB) in 520 ms",
  );
  assertEquals(formatTransfer(1, 0, 0), "sent 1 byte, received 0 bytes in 0 s");
});

Deno.test("width: terminal columns, not string length", () => {
  const on = styles(true);
  const widths: [string, number][] = [["", 0], ["abc", 3], ["850 µs", 6], ["天地", 4], [
    on.red("ok"),
    2,
  ]];
  for (const [text, width] of widths) assertEquals(textWidth(text), width, text);
  assertEquals(padStartWidth("天地", 6), "  天地");
  assertEquals(padEndWidth("µs", 4), "µs  ");
  assertEquals(padStartWidth("toolong", 3), "toolong");
  assertEquals(
    alignColumns([["", "min", "max"], ["round", "85 µs", "1.25 ms"], ["连接", "1 s", "2 s"]], [
      { align: "left", minWidth: 3 },
      { align: "right" },
      { align: "right", minWidth: 8 },
    ]),
    ["        min      max", "round 85 µs  1.25 ms", "连接    1 s      2 s"],
  );
  assertEquals(
    alignColumns([["a", "#"], ["bbb", ""]], [{ align: "left" }, { align: "left" }]),
    ["a   #", "bbb"],
  );
});

Deno.test("color: when to use it", () => {
  const rows: [ColorContext, boolean][] = [
    [{ isTerminal: true }, true],
    [{ isTerminal: false }, false],
    [{ isTerminal: true, noColor: "1" }, false],
    [{ isTerminal: true, noColor: "" }, true], // empty NO_COLOR is "unset" per no-color.org
    [{ isTerminal: false, forceColor: "1" }, true],
    [{ isTerminal: false, forceColor: "" }, true],
    [{ isTerminal: false, forceColor: "3" }, true],
    [{ isTerminal: true, forceColor: "0" }, false],
    [{ isTerminal: true, forceColor: "false" }, false],
    [{ isTerminal: false, noColor: "1", forceColor: "1" }, false], // NO_COLOR wins
    [{ isTerminal: false, noColor: "", forceColor: "1" }, true],
  ];
  for (const [context, expected] of rows) {
    assertEquals(useColor(context), expected, JSON.stringify(context));
  }
});

Deno.test("color: styles come from @std/fmt/colors", () => {
  const on = styles(true);
  // @std/fmt/colors itself stays plain when NO_COLOR is set for the test run.
  if (!Deno.noColor) {
    assertEquals(on.red("x"), "\x1b[31mx\x1b[39m");
    assertEquals(on.bold(on.green("ok")), "\x1b[1m\x1b[32mok\x1b[39m\x1b[22m");
  }
  assertEquals(stripAnsiCode(on.bold(on.green("ok")) + on.dim(" 1 ms")), "ok 1 ms");
  const off = styles(false);
  for (const style of Object.values(off)) assertEquals(style("plain"), "plain");
  // A pipe is not a terminal: no escape codes unless FORCE_COLOR says so.
  const pipe = { isTerminal: () => false };
  if (Deno.env.get("FORCE_COLOR") === undefined) assertEquals(colorFor(pipe).red("x"), "x");
});
