import { assertEquals, assertThrows } from "@std/assert";
import { parseCount, parseDuration, parseSize } from "../lib/common/units.ts";

Deno.test("parseDuration accepts units", () => {
  const table: [string, number][] = [
    ["250ms", 250],
    ["10s", 10_000],
    ["1.5s", 1500],
    ["2m", 120_000],
    ["1h", 3_600_000],
    ["0s", 0],
    ["500us", 0.5],
  ];
  for (const [text, ms] of table) assertEquals(parseDuration(text), ms, text);
});

Deno.test("parseDuration rejects bad input", () => {
  for (const text of ["", "10", "ms", "-1s", "1d", "1 s x", "abc", "1e3s", "１s", "9999999h"]) {
    assertThrows(() => parseDuration(text), RangeError, undefined, text);
  }
});

Deno.test("parseSize accepts binary multiples", () => {
  const table: [string, number][] = [
    ["64", 64],
    ["4k", 4096],
    ["4K", 4096],
    ["4KiB", 4096],
    ["16KiB", 16384],
    ["1MiB", 1048576],
    ["1m", 1048576],
    ["1g", 1024 ** 3],
    ["0", 0],
    ["1.5k", 1536],
  ];
  for (const [text, bytes] of table) assertEquals(parseSize(text), bytes, text);
});

Deno.test("parseSize rejects bad input", () => {
  for (const text of ["", "k", "-1", "1.3", "4 x", "1TB", "ten", "1e3", "0x10"]) {
    assertThrows(() => parseSize(text), RangeError, undefined, text);
  }
});

Deno.test("parseCount accepts only plain whole numbers", () => {
  assertEquals(parseCount("0"), 0);
  assertEquals(parseCount("50"), 50);
  for (const text of ["", "-1", "1.5", "1e3", "0x10", "99999999999999999999", "٣"]) {
    assertThrows(() => parseCount(text), RangeError, undefined, text);
  }
});
