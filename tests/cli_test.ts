/** The command line: the declaration's consistency, defaults, help, and usage errors. */

import { assert, assertEquals, assertThrows } from "@std/assert";
import {
  COMMAND_NAMES,
  COMMANDS,
  COMPLETIONS_COMMAND,
  HELP_FLAG,
  TOP_FLAGS,
} from "../lib/cli/declaration.ts";
import { HELP_WIDTH, helpText } from "../lib/cli/help.ts";
import { type Invocation, parseCli } from "../lib/cli/parse.ts";
import { UsageError } from "../lib/common/errors.ts";

Deno.test("the declaration is consistent", () => {
  const names = new Set<string>();
  for (const command of [...COMMANDS, COMPLETIONS_COMMAND]) {
    assert(!names.has(command.name), `duplicate command ${command.name}`);
    names.add(command.name);
    const longs = new Set<string>();
    const shorts = new Set<string>(["h"]);
    for (const flag of command.flags) {
      assert(/^[a-z][a-z0-9-]*$/.test(flag.name), `${command.name} --${flag.name}`);
      // parseArgs reads `--no-x=V` as `--x=V`: only a boolean (never given a value) may be no-x.
      assert(!flag.name.startsWith("no-") || flag.kind === "boolean", `--${flag.name}`);
      assert(!longs.has(flag.name), `${command.name}: duplicate --${flag.name}`);
      longs.add(flag.name);
      if (flag.short) {
        assert(/^[A-Za-z]$/.test(flag.short), `${command.name} -${flag.short}`);
        assert(!shorts.has(flag.short), `${command.name}: duplicate -${flag.short}`);
        shorts.add(flag.short);
      }
      assert(flag.help.length > 0, `${command.name} --${flag.name} has no help`);
      assert((flag.kind === "choice") === (flag.choices !== undefined), `--${flag.name} choices`);
      if (flag.kind !== "boolean" && flag.kind !== "string") assert(flag.metavar, flag.name);
    }
    const help = helpText(command.name, HELP_WIDTH);
    for (const flag of command.flags) assert(help.includes(`--${flag.name}`), flag.name);
    assert(helpText("tcpkit", HELP_WIDTH).includes(command.name));
  }
  for (const command of COMMANDS) {
    // Every default parses: the command builds with no flags (given required args).
    const args = command.minArgs > 0 ? ["127.0.0.1:1"] : [];
    const parsed = parseCli([command.name, ...args]);
    assertEquals(parsed.command, command.name);
  }
  assertEquals(COMMAND_NAMES, [...COMMANDS.map((c) => c.name), "help", "completions"]);
});

Deno.test("a short flag means the same long flag in every command that declares it", () => {
  const meaning = new Map<string, string>();
  for (const command of [{ name: "tcpkit", flags: TOP_FLAGS }, ...COMMANDS, COMPLETIONS_COMMAND]) {
    for (const flag of [...command.flags, HELP_FLAG]) {
      if (!flag.short) continue;
      const seen = meaning.get(flag.short);
      assert(
        seen === undefined || seen === flag.name,
        `-${flag.short} is --${seen} elsewhere but --${flag.name} in ${command.name}`,
      );
      meaning.set(flag.short, flag.name);
    }
  }
  // The lead's call: -w is connect's --timeout (nc -w); bench's --workers has no short.
  assertEquals(meaning.get("w"), "timeout");
  assertThrows(() => parseCli(["bench", "-w", "2"]), UsageError, 'bench: unknown flag "-w"');
});

Deno.test("serve defaults", () => {
  const parsed = parseCli(["serve"]) as Extract<Invocation, { command: "serve" }>;
  assertEquals(parsed.options, {
    address: { transport: "tcp", hostname: "127.0.0.1", port: 9999 },
    mode: "echo",
    maxConns: undefined,
    idleTimeoutMs: undefined,
    drainTimeoutMs: 5000,
    quiet: false,
    log: "text",
    workers: 1,
    stdio: false,
    keepSending: false,
    access: { allow: [], deny: [] },
    unixMode: undefined,
  });
});

Deno.test("serve flags become typed options", () => {
  const parsed = parseCli([
    "serve",
    "[::1]:0",
    "--mode",
    "discard",
    "--max-conns=10",
    "--idle-timeout",
    "1.5s",
    "--drain-timeout",
    "0s",
    "-q",
    "--log",
    "json",
    "--workers",
    "2",
  ]) as Extract<Invocation, { command: "serve" }>;
  assertEquals(parsed.options, {
    address: { transport: "tcp", hostname: "::1", port: 0 },
    mode: "discard",
    maxConns: 10,
    idleTimeoutMs: 1500,
    drainTimeoutMs: 0,
    quiet: true,
    log: "json",
    workers: 2,
    stdio: false,
    keepSending: false,
    access: { allow: [], deny: [] },
    unixMode: undefined,
  });
});

Deno.test("help and version", () => {
  const overview: Invocation = { command: "help", topic: "tcpkit" };
  const overviews = [["--help"], ["-h"], ["help"], ["help", "help"], ["help", "--help"]];
  for (const argv of overviews) assertEquals(parseCli(argv), overview, argv.join(" "));
  for (const command of COMMANDS) {
    const expected: Invocation = { command: "help", topic: command.name };
    assertEquals(parseCli(["help", command.name]), expected);
    assertEquals(parseCli(["help", command.name, "--help"]), expected);
    assertEquals(parseCli([command.name, "--help"]), expected);
    assertEquals(parseCli([command.name, "-h", "--mode", "nonsense"]), expected);
  }
  assertEquals(parseCli(["serve", "-qh"]), { command: "help", topic: "serve" });
  assertEquals(parseCli(["--version"]), { command: "version" });
  assertEquals(parseCli(["-V"]), { command: "version" });
  // After `--`, -h is an argument, not a request for help.
  assertThrows(() => parseCli(["serve", "--", "-h"]), UsageError, '"-h"');
});

Deno.test("usage errors name the problem", () => {
  const table: [string[], string][] = [
    [[], "missing command"],
    [["frobnicate"], 'unknown command "frobnicate"'],
    [["help", "nope"], 'unknown command "nope"'],
    [["--verbose"], 'unknown flag "--verbose"'],
    [["serve", "--bogus"], 'unknown flag "--bogus"'],
    [["serve", "-x"], 'unknown flag "-x"'],
    [["serve", "--mode"], "flag --mode needs a value"],
    [["serve", "--mode", "mirror"], '--mode: "mirror" must be one of echo, discard, source'],
    [["serve", "--max-conns", "0"], '--max-conns: "0" must be at least 1'],
    [["serve", "--max-conns", "-5"], "flag --max-conns needs a value"],
    [["serve", "--max-conns", "-5"], "write --max-conns=VALUE for a value starting with"],
    [["bench", "-c", "-5"], "flag -c needs a value (write -c=VALUE"],
    [["bench", "-c"], "bench: flag -c needs a value"],
    [["bench", "-c=-5"], '"-5" is not a whole number'],
    [["serve", "--mode", "--quiet"], "flag --mode needs a value"],
    [["serve", "--mode", "--"], "flag --mode needs a value"],
    [["serve", "--max-conns=-5"], '"-5" is not a whole number'],
    [["serve", "--max-conns", "ten"], '"ten" is not a whole number'],
    [["serve", "--max-conns", "1e3"], '"1e3" is not a whole number'],
    [["serve", "--idle-timeout", "5"], '"5" is not a duration'],
    [["serve", "--idle-timeout", "0s"], "must be at least"],
    [["serve", "--drain-timeout", "2d"], '"2d" is not a duration'],
    [["serve", "--workers", "0"], "must be at least 1"],
    [["serve", "--workers", "1000"], "must be at most 256"],
    [["serve", "--quiet=yes"], "flag --quiet does not take a value"],
    [["serve", "--quiet="], "flag --quiet does not take a value"],
    [["serve", "-q=yes"], "flag -q does not take a value"],
    [["connect", "-zv=1", ":1"], "flag -v does not take a value"],
    [["serve", "--no-quiet"], 'unknown flag "--no-quiet"'],
    [["connect", "--no-verbose", ":1"], 'unknown flag "--no-verbose"'],
    [["connect", "--no-half-close=yes", ":1"], "flag --no-half-close does not take a value"],
    [["serve", "-qx"], 'unknown flag "-x" in "-qx"'],
    [["serve", "-quiet"], 'unknown flag "-u" in "-quiet"'],
    [["serve", "---"], 'unknown flag "---"'],
    [["serve", "--=x"], 'unknown flag "--=x"'],
    [["serve", "--Mode=echo"], 'unknown flag "--Mode"'],
    [["bench", "-w", "2"], 'unknown flag "-w"'],
    [["help", "serve", "bench"], "help takes at most one command name"],
    [["serve", "70000"], "outside 0-65535"],
    [["serve", ":"], "missing a port"],
    [["serve", "unix:"], "empty unix socket path"],
    [["serve", "[::1"], 'missing "]"'],
    [["serve", ":1", ":2"], 'unexpected argument ":2"'],
    [["serve", "unix:/tmp/x", "--workers", "2"], "--workers needs a TCP address"],
    [["serve", "--log", ""], '--log: "" must be one of text, json'],
    [["serve", "--allow", "10.0.0.0/33"], '--allow: "10.0.0.0/33" has an invalid prefix'],
    [["serve", "--deny", "example.com"], '--deny: "example.com" is not an IP address'],
    [["serve", "--keep-sending"], "--keep-sending needs --stdio"],
  ];
  for (const [argv, fault] of table) {
    assertThrows(() => parseCli(argv), UsageError, fault, argv.join(" "));
  }
});

Deno.test("help text for every topic is generated, and ends in a newline", () => {
  for (const topic of ["tcpkit", ...COMMANDS.map((c) => c.name), "completions"]) {
    const text = helpText(topic, HELP_WIDTH);
    assert(text.endsWith("\n") && !text.endsWith("\n\n\n"), topic);
  }
  assertThrows(() => helpText("nope", HELP_WIDTH), Error, "nope");
});

Deno.test("error messages are one line", () => {
  for (const argv of [["serve", "--mode", "x\ny"], ["serve", "--bogus"], ["x"]]) {
    const error = assertThrows(() => parseCli(argv), UsageError);
    assert(!error.message.includes("\n") || argv.some((a) => a.includes("\n")), error.message);
  }
});
