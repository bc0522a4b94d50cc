import { assertEquals } from "@std/assert";
import { type ColorContext, colorFor, stripColor, styles, useColor } from "../lib/common/color.ts";

Deno.test("color: when to use it", () => {
  const table: [ColorContext, boolean][] = [
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
  for (const [context, expected] of table) {
    assertEquals(useColor(context), expected, JSON.stringify(context));
  }
});

Deno.test("color: styles", () => {
  const on = styles(true);
  assertEquals(on.red("x"), "\x1b[31mx\x1b[39m");
  assertEquals(on.bold(on.green("ok")), "\x1b[1m\x1b[32mok\x1b[39m\x1b[22m");
  assertEquals(stripColor(on.bold(on.green("ok")) + on.dim(" 1ms")), "ok 1ms");
  const off = styles(false);
  for (const style of Object.values(off)) assertEquals(style("plain"), "plain");
  // A pipe is not a terminal: no escape codes unless FORCE_COLOR says so.
  const pipe = { isTerminal: () => false };
  if (Deno.env.get("FORCE_COLOR") === undefined) assertEquals(colorFor(pipe).red("x"), "x");
});
