/** Help layout: word wrap in terminal columns (lib/cli/wrap.ts) and help text at any width. */

import { assert, assertEquals } from "@std/assert";
import { unicodeWidth } from "@std/cli/unicode-width";
import { COMMANDS } from "../lib/cli/declaration.ts";
import { HELP_WIDTH, helpText } from "../lib/cli/help.ts";
import { columns, wrap } from "../lib/cli/wrap.ts";
import { cliCommand, runCli } from "./helpers.ts";

Deno.test("wrap: fills lines up to the width, breaking only at spaces", () => {
  const table: [string, number, string[]][] = [
    ["", 10, []],
    ["   ", 10, []],
    ["one", 10, ["one"]],
    ["a b c d", 3, ["a b", "c d"]],
    ["a b c d", 4, ["a b", "c d"]],
    ["a b c d", 5, ["a b c", "d"]],
    ["aa  bb", 10, ["aa bb"]], // runs of spaces collapse
    ["short unbreakable-long-word x", 10, ["short", "unbreakable-long-word", "x"]],
    ["unbreakable-long-word", 5, ["unbreakable-long-word"]],
    // Wide characters take two columns each, as the terminal shows them.
    ["日本 日本 日本", 9, ["日本 日本", "日本"]],
    ["日本 日本 日本", 8, ["日本", "日本", "日本"]],
    ["\u00e9 \u00e9 \u00e9", 3, ["\u00e9 \u00e9", "\u00e9"]], // é: one column
    ["e\u0301 e\u0301 e\u0301", 3, ["e\u0301 e\u0301", "e\u0301"]], // é with a combining accent
  ];
  for (const [text, width, lines] of table) {
    assertEquals(wrap(text, width), lines, `${JSON.stringify(text)} at ${width}`);
  }
});

Deno.test("columns: labels padded, text wrapped, continuations under the text column", () => {
  const rows: [string, string][] = [
    ["-a", "one two three four five six"],
    ["--longer", "x"],
    ["--none", ""],
  ];
  // indent 2 + label 8 + gap 2: the text starts at column 12; 40 - 12 leaves 28 columns.
  assertEquals(columns(rows, 40), [
    "  -a        one two three four five six",
    "  --longer  x",
    "  --none",
  ]);
  assertEquals(columns(rows, 36).slice(0, 2), [
    "  -a        one two three four five",
    "            six",
  ]);
  const narrow = columns([["-a", "one two three four five six seven"]], 30);
  // Below 24 text columns the text keeps 24 and the terminal folds the rest.
  assertEquals(narrow, ["  -a  one two three four five", "      six seven"]);
  assertEquals(columns([["日本", "x"], ["ab", "y"]], 40), ["  日本  x", "  ab    y"]);
});

/** Lines of help that wrapping applies to: all but the usage line and the examples. */
function wrapped(text: string): string[] {
  const lines = text.split("\n");
  const examples = lines.indexOf("Examples:");
  return lines.slice(0, examples < 0 ? undefined : examples).filter((l) => !/^Usage: /.test(l));
}

Deno.test("help fits the width it is given, and says the same at every width", () => {
  const topics = ["tcpkit", ...COMMANDS.map((c) => c.name), "completions"];
  for (const topic of topics) {
    const words = helpText(topic, 10_000).split(/\s+/);
    for (const width of [60, 80, HELP_WIDTH, 132]) {
      const text = helpText(topic, width);
      for (const line of wrapped(text)) {
        assert(unicodeWidth(line) <= width, `${topic} at ${width}: ${JSON.stringify(line)}`);
        assert(line === line.trimEnd(), `${topic}: trailing space in ${JSON.stringify(line)}`);
      }
      assertEquals(text.split(/\s+/), words, `${topic} at ${width}: same words`);
    }
  }
});

Deno.test("help: a flag's continuation lines start under its description", () => {
  const text = helpText("serve", 60);
  const lines = text.split("\n");
  const first = lines.findIndex((l) => l.includes("--mode MODE"));
  const column = lines[first].indexOf("echo:");
  assert(column > "      --mode MODE".length, lines[first]);
  assertEquals(lines[first + 1].search(/\S/), column, lines[first + 1]);
  assert(lines[first + 1].length > column, "the continuation has text");
  // At 100 columns (a pipe), a short description stays on one line.
  assert(helpText("serve", HELP_WIDTH).includes("  -q, --quiet"));
  assert(/-q, --quiet +No per-connection log lines\n/.test(helpText("serve", HELP_WIDTH)));
});

Deno.test("help: a tiny width is laid out as 40 columns", () => {
  assertEquals(helpText("serve", 5), helpText("serve", 40));
  assertEquals(helpText("tcpkit", 0), helpText("tcpkit", 40));
});

Deno.test("the CLI lays help out for 100 columns on a pipe", async () => {
  const result = await runCli(["serve", "--help"]);
  assertEquals(result.code, 0);
  assertEquals(result.stdoutText, helpText("serve", HELP_WIDTH));
  const none = await runCli([]);
  assertEquals(none.code, 2);
  assertEquals(none.stderr, helpText("tcpkit", HELP_WIDTH));
});

/** util-linux `script` runs a command on a pseudo-terminal (Linux; other systems differ). */
const hasScript = Deno.build.os === "linux" &&
  new Deno.Command("sh", { args: ["-c", "command -v script"], stdout: "null" }).outputSync()
    .success;

Deno.test({
  name: "the CLI lays help out for the terminal's width on a terminal",
  ignore: !hasScript,
  fn: async () => {
    const { command, args } = cliCommand();
    const quote = (word: string) => `'${word.replaceAll("'", "'\\''")}'`;
    const line = [command, ...args, "serve", "--help"].map(quote).join(" ");
    const output = await new Deno.Command("script", {
      args: ["-qec", `stty cols 61 rows 20 && ${line}`, "/dev/null"],
      stdin: "null",
      stdout: "piped",
      stderr: "piped",
    }).output();
    const text = new TextDecoder().decode(output.stdout).replaceAll("\r\n", "\n");
    assertEquals(output.code, 0, new TextDecoder().decode(output.stderr));
    assertEquals(text, helpText("serve", 61));
  },
});
