/**
 * The command line of `bench merge`, `bench compare`, `bench plot` and `bench --svg`:
 * subcommands in the one declaration, parsed into their options, with help and
 * completions generated for them and usage errors that name the problem.
 */

import { assert, assertEquals, assertThrows } from "@std/assert";
import { unicodeWidth } from "@std/cli/unicode-width";
import { COMMANDS, SUBCOMMANDS } from "../lib/cli/declaration.ts";
import { HELP_WIDTH, helpText } from "../lib/cli/help.ts";
import { type Invocation, parseCli, usageHint } from "../lib/cli/parse.ts";
import { completionScript } from "../lib/cli/completions.ts";
import { UsageError } from "../lib/common/errors.ts";

Deno.test("bench subcommands: parsed into their options", () => {
  const table: [string[], Invocation][] = [
    [["bench", "merge", "a.json"], { command: "bench merge", options: { files: ["a.json"] } }],
    [
      ["bench", "merge", "a.json", "b.json", "c.json"],
      { command: "bench merge", options: { files: ["a.json", "b.json", "c.json"] } },
    ],
    [
      ["bench", "compare", "a.json", "b.json"],
      { command: "bench compare", options: { base: "a.json", next: "b.json", json: false } },
    ],
    [
      ["bench", "compare", "--json", "a.json", "b.json"],
      { command: "bench compare", options: { base: "a.json", next: "b.json", json: true } },
    ],
    [
      ["bench", "plot", "a.json", "-o", "x.svg", "b.json"],
      {
        command: "bench plot",
        options: { files: ["a.json", "b.json"], output: "x.svg", title: undefined },
      },
    ],
    [
      ["bench", "plot", "--output=x.svg", "--title", "Before & after", "a.json"],
      {
        command: "bench plot",
        options: { files: ["a.json"], output: "x.svg", title: "Before & after" },
      },
    ],
    // A file may be named like a subcommand once the subcommand is given.
    [["bench", "merge", "--", "plot"], { command: "bench merge", options: { files: ["plot"] } }],
  ];
  for (const [argv, expected] of table) assertEquals(parseCli(argv), expected, argv.join(" "));
});

Deno.test("bench --svg: an option of the run, refused where no latency is measured", () => {
  const parsed = parseCli(["bench", "--svg", "out.svg", "-d", "1s"]);
  assertEquals(parsed.command === "bench" && parsed.options.svg, "out.svg");
  const plain = parseCli(["bench"]);
  assertEquals(plain.command === "bench" && plain.options.svg, undefined);
  assertThrows(
    () => parseCli(["bench", "--mode", "stream", "--svg", "out.svg"]),
    UsageError,
    "--svg draws latency, which --mode stream does not measure",
  );
  assertThrows(() => parseCli(["bench", "--svg="]), UsageError, "--svg");
});

Deno.test("bench subcommands: usage errors name the problem", () => {
  const table: [string[], string][] = [
    [["bench", "merge"], "bench merge: missing FILE"],
    [["bench", "compare"], "bench compare: missing BASE"],
    [["bench", "compare", "a.json"], "bench compare: missing NEW"],
    [["bench", "compare", "a", "b", "c"], 'bench compare: unexpected argument "c"'],
    [["bench", "plot", "a.json", "-o"], "bench plot: flag -o needs a value"],
    [["bench", "plot"], "bench plot: missing FILE"],
    [["bench", "merge", "--json", "a"], 'bench merge: unknown flag "--json"'],
    [["bench", "merge", "-c", "5", "a"], 'bench merge: unknown flag "-c"'],
    [["bench", "merge", "a.json", "a.json"], 'bench merge: "a.json" is given twice'],
    [["bench", "plot", "a", "b", "a"], 'bench plot: "a" is given twice'],
    [["bench", "-c", "5", "merge", "a.json"], 'bench: "merge" must come right after "bench"'],
    [["bench", ":7000", "compare"], 'bench: "compare" must come right after "bench"'],
    [["bench", "plot", ...Array.from({ length: 13 }, (_, i) => `${i}.json`)], '"12.json"'],
    [["help", "bench", "nope"], "help takes at most one command name"],
  ];
  for (const [argv, message] of table) {
    assertThrows(() => parseCli(argv), UsageError, message, argv.join(" "));
  }
  assertEquals(usageHint(["bench", "merge", "--bogus"]), "tcpkit bench merge --help");
  assertEquals(usageHint(["bench", "--bogus"]), "tcpkit bench --help");
  assertEquals(usageHint(["bench", "-c", "1", "merge"]), "tcpkit bench --help");
});

Deno.test("bench subcommands: help for each, and bench's help lists them", () => {
  for (const sub of SUBCOMMANDS) {
    const expected: Invocation = { command: "help", topic: sub.name };
    const words = sub.name.split(" ");
    assertEquals(parseCli([...words, "--help"]), expected);
    assertEquals(parseCli([...words, "-h", "--bogus"]), expected);
    assertEquals(parseCli(["help", ...words]), expected);
    const text = helpText(sub.name, HELP_WIDTH);
    assert(text.startsWith(`Usage: tcpkit ${sub.name} [options] ${sub.args}\n`), text);
    for (const flag of sub.flags) assert(text.includes(`--${flag.name}`), flag.name);
  }
  const bench = helpText("bench", HELP_WIDTH);
  assert(bench.includes("       tcpkit bench SUBCOMMAND [options] [arguments]\n"), bench);
  assert(/\nSubcommands:\n {2}merge FILE\.\.\. +Merge saved results/.test(bench), bench);
  assert(/\n {2}compare BASE NEW +Compare two saved results/.test(bench), bench);
  assert(bench.includes("--svg PATH"));
  // `bench --help` still means bench's own help, whatever follows.
  assertEquals(parseCli(["bench", "--help", "merge"]), { command: "help", topic: "bench" });
});

Deno.test("bench subcommands: help fits every width and says the same", () => {
  for (const topic of ["bench", ...SUBCOMMANDS.map((s) => s.name)]) {
    const words = helpText(topic, 10_000).split(/\s+/);
    for (const width of [60, 80, HELP_WIDTH, 132]) {
      const text = helpText(topic, width);
      const lines = text.split("\n");
      const examples = lines.indexOf("Examples:");
      for (const line of lines.slice(0, examples).filter((l) => !/^ *(Usage: )?tcpkit /.test(l))) {
        assert(unicodeWidth(line) <= width, `${topic} at ${width}: ${JSON.stringify(line)}`);
      }
      assertEquals(text.split(/\s+/), words, `${topic} at ${width}`);
    }
  }
});

Deno.test("bench subcommands: declared consistently", () => {
  const bench = COMMANDS.find((c) => c.name === "bench")!;
  assertEquals(bench.subcommands!.map((s) => s.name), ["merge", "compare", "plot"]);
  assertEquals(SUBCOMMANDS.map((s) => s.name), ["bench merge", "bench compare", "bench plot"]);
  const shorts = new Map<string, string>();
  for (const command of [...COMMANDS, ...SUBCOMMANDS]) {
    for (const flag of command.flags) {
      if (!flag.short) continue;
      const seen = shorts.get(flag.short);
      assert(seen === undefined || seen === flag.name, `-${flag.short} in ${command.name}`);
      shorts.set(flag.short, flag.name);
    }
  }
  for (const sub of SUBCOMMANDS) {
    assert(sub.fileArgs, `${sub.name} takes files`);
    assert(sub.argsHelp.length > 0 && sub.examples.length > 0, sub.name);
    for (const example of sub.examples) {
      const argv = example.replace(/\s[|>].*$/, "").split(/\s+/).slice(1);
      const words = argv.flatMap((w) => w.startsWith("'") ? [] : [w]);
      // Examples parse (quoted titles aside).
      if (!example.includes("'")) assertEquals(parseCli(words).command, sub.name, example);
    }
  }
});

Deno.test("bench subcommands: zsh and fish complete them and their flags", () => {
  const zsh = completionScript("zsh");
  assert(zsh.includes("[[ $words[2] == (merge|compare|plot) ]]"), "zsh: subcommand dispatch");
  assert(zsh.includes("'1:subcommand or ADDRESS:(merge compare plot)'"));
  assert(zsh.includes("'(--output -o)-o[Write the SVG to PATH (default\\: stdout)]:PATH:_files'"));
  assert(zsh.includes("'*:FILE:_files'"));
  assert(!zsh.includes("'bench merge:"), "subcommands are not top-level commands");

  const fish = completionScript("fish");
  const inBench = "__fish_seen_subcommand_from bench; and not __fish_seen_subcommand_from " +
    "merge compare plot; and not __fish_seen_subcommand_from completions help";
  assert(fish.includes(`-n '${inBench}' -a merge -d 'Merge saved results`), fish);
  const inPlot = "__fish_seen_subcommand_from bench; and __fish_seen_subcommand_from plot";
  assert(fish.includes(`-n '${inPlot}' -l output -s o -r -F -d`), fish);
  assert(fish.includes(`complete -c tcpkit -n '${inPlot}' -F\n`), fish);
  assert(!fish.includes("-a 'bench merge'") && !fish.includes("-a bench merge"));
});
