/**
 * The whole tcpkit command line in one place: every command, flag, default and help
 * text, and the parser that turns argv into typed option objects. Pure: no I/O.
 *
 * Each flag's default is written once, as the user would type it, and goes through the
 * same parser as a typed value, so help text and behaviour cannot drift apart.
 */

import { parseArgs } from "node:util";
import { UsageError } from "../common/errors.ts";
import type { FlagValues } from "../common/flag_values.ts";
import { parseCount, parseDuration, parseSize } from "../common/units.ts";
import { type BenchOptions, benchOptions } from "../bench/options.ts";
import { type ConnectOptions, connectOptions } from "../connect/options.ts";
import { type ServeOptions, serveOptions } from "../serve/options.ts";

/** How a flag's value is read. */
export type FlagKind = "boolean" | "string" | "count" | "duration" | "size" | "choice";

/** One flag of one command. */
export interface FlagSpec {
  /** Long name without dashes, e.g. `max-conns`. */
  name: string;
  /** One-letter alias, e.g. `c` for `-c`. */
  short?: string;
  kind: FlagKind;
  /** Placeholder in help, e.g. `N`, `DURATION`. */
  metavar?: string;
  /** Default as a user would type it; parsed like user input. */
  default?: string;
  /** Allowed values for `choice` flags. */
  choices?: readonly string[];
  /** Smallest allowed value for numeric kinds (in their unit: count, ms or bytes). */
  min?: number;
  /** Largest allowed value for numeric kinds. */
  max?: number;
  /** May be given more than once; the values are collected in order. */
  multiple?: boolean;
  help: string;
}

/** One subcommand. */
export interface CommandSpec {
  name: string;
  summary: string;
  /** Positional arguments as shown in usage, e.g. `[ADDRESS]`. */
  args: string;
  /** Help lines describing the positional arguments. */
  argsHelp: string[];
  minArgs: number;
  maxArgs: number;
  flags: FlagSpec[];
  examples: string[];
}

/** `-h`/`--help`, accepted by every command. */
export const HELP_FLAG: FlagSpec = {
  name: "help",
  short: "h",
  kind: "boolean",
  help: "Show this help",
};

const DAY_MS = 24 * 3_600_000;

/** What the command line asks for. */
export type Invocation =
  | { command: "help"; text: string }
  | { command: "version" }
  | { command: "serve"; options: ServeOptions }
  | { command: "connect"; options: ConnectOptions }
  | { command: "bench"; options: BenchOptions }
  | { command: "completions"; shell: Shell };

/** Shells `tcpkit completions` writes a script for. */
export const SHELLS = ["bash", "zsh", "fish"] as const;
export type Shell = typeof SHELLS[number];

const ADDRESS_SYNTAX = "HOST:PORT, [IPV6]:PORT, :PORT, PORT or unix:PATH";

/** Every command, in the order help lists them. */
export const COMMANDS: readonly CommandSpec[] = [
  {
    name: "serve",
    summary: "Run a TCP server: echo (default), discard or source, many clients at once",
    args: "[ADDRESS]",
    argsHelp: [
      `ADDRESS  where to listen: ${ADDRESS_SYNTAX} (default 127.0.0.1:9999;`,
      "         port 0 picks a free port, shown in the 'listening on' line)",
    ],
    minArgs: 0,
    maxArgs: 1,
    flags: [
      {
        name: "mode",
        kind: "choice",
        metavar: "MODE",
        choices: ["echo", "discard", "source"],
        default: "echo",
        help:
          "echo: write back every byte; discard: read and drop; source: send bytes until the client goes",
      },
      {
        name: "max-conns",
        kind: "count",
        metavar: "N",
        min: 1,
        max: 10_000_000,
        help:
          "Close connections beyond N at once and count them (default: from the open-file limit)",
      },
      {
        name: "idle-timeout",
        kind: "duration",
        metavar: "DURATION",
        min: 1,
        max: DAY_MS,
        help: "Close a connection after this long without traffic (default: never)",
      },
      {
        name: "drain-timeout",
        kind: "duration",
        metavar: "DURATION",
        default: "5s",
        max: DAY_MS,
        help: "On SIGINT/SIGTERM, let open connections finish for this long, then close them",
      },
      { name: "quiet", short: "q", kind: "boolean", help: "No per-connection log lines" },
      {
        name: "log",
        kind: "choice",
        metavar: "FORMAT",
        choices: ["text", "json"],
        default: "text",
        help: "Log format on stderr: text or json (one JSON object per line)",
      },
      {
        name: "workers",
        kind: "count",
        metavar: "N",
        default: "1",
        min: 1,
        max: 256,
        help: "Accept on the same port from N Workers (reusePort) to use several cores",
      },
      {
        name: "stdio",
        kind: "boolean",
        help: "Accept one connection and bridge it to stdin/stdout (like nc -l)",
      },
      {
        name: "keep-sending",
        kind: "boolean",
        help: "With --stdio: when the client half-closes first, send all of stdin before exiting",
      },
      {
        name: "allow",
        kind: "string",
        metavar: "CIDR",
        multiple: true,
        help: "Only accept peers in this block, e.g. 10.0.0.0/8 or ::1 (default: everyone)",
      },
      {
        name: "deny",
        kind: "string",
        metavar: "CIDR",
        multiple: true,
        help: "Refuse peers in this block; wins over --allow",
      },
    ],
    examples: [
      "tcpkit serve                     # echo on 127.0.0.1:9999",
      "tcpkit serve :0 --quiet          # free port; read it from the 'listening on' line",
      "tcpkit serve 0.0.0.0:7 --max-conns 500 --idle-timeout 30s",
      "tcpkit serve :9000 --mode discard",
      "tcpkit serve unix:/tmp/echo.sock",
      "tcpkit serve --stdio :9000 > received.bin",
    ],
  },
  {
    name: "connect",
    summary: "Connect like netcat: stdin to the socket, the socket to stdout",
    args: "ADDRESS...",
    argsHelp: [
      `ADDRESS  where to connect: ${ADDRESS_SYNTAX}`,
      "         (with --check: several addresses, or a port range HOST:8000-8010)",
    ],
    minArgs: 1,
    maxArgs: 64,
    flags: [
      {
        name: "no-half-close",
        kind: "boolean",
        help: "On stdin EOF keep the write side open instead of shutting it down",
      },
      {
        name: "keep-sending",
        kind: "boolean",
        help: "When the peer half-closes first, send all of stdin before exiting",
      },
      {
        name: "send",
        kind: "string",
        metavar: "TEXT",
        multiple: true,
        help: "Send TEXT plus a newline (one line each), half-close, print the reply, exit",
      },
      {
        name: "send-file",
        kind: "string",
        metavar: "PATH",
        help: "Send the file's bytes, half-close, print the reply, exit",
      },
      {
        name: "repeat",
        kind: "count",
        metavar: "N",
        default: "1",
        min: 1,
        max: 1_000_000_000,
        help: "With --send/--send-file: send N times on one connection, printing replies",
      },
      {
        name: "interval",
        kind: "duration",
        metavar: "DURATION",
        default: "1s",
        max: DAY_MS,
        help: "Pause between --repeat sends",
      },
      {
        name: "check",
        short: "z",
        kind: "boolean",
        help:
          "Only check that ports accept: exit 0 if all open, 1 if not; several: 'ADDRESS open|closed' lines",
      },
      {
        name: "wait",
        kind: "duration",
        metavar: "DURATION",
        min: 1,
        max: DAY_MS,
        help: "Retry connecting with backoff until the port accepts or DURATION passes",
      },
      {
        name: "timeout",
        short: "w",
        kind: "duration",
        metavar: "DURATION",
        default: "10s",
        min: 1,
        max: DAY_MS,
        help: "Connect timeout for each attempt",
      },
      {
        name: "idle-timeout",
        kind: "duration",
        metavar: "DURATION",
        min: 1,
        max: DAY_MS,
        help: "Exit 1 when no data moves either way for this long (default: never)",
      },
      {
        name: "crlf",
        short: "C",
        kind: "boolean",
        help: "Send each LF as CRLF (stdin, --send, --send-file, interactive lines), like nc -C",
      },
      {
        name: "verbose",
        short: "v",
        kind: "boolean",
        help: "Report the connection and the bytes sent and received on stderr",
      },
    ],
    examples: [
      "printf 'hi' | tcpkit connect 127.0.0.1:9999      # prints hi, exits",
      "tcpkit connect :9000 < file.bin                  # send a file",
      "tcpkit connect -z localhost:8000-8010            # which ports are open",
      "tcpkit connect -z --wait 30s db:5432             # wait for a port in CI",
      "tcpkit connect --send 'PING' --crlf :6379        # one request, print the reply",
    ],
  },
  {
    name: "bench",
    summary: "Benchmark an echo server: throughput and latency percentiles",
    args: "[ADDRESS]",
    argsHelp: [
      `ADDRESS  echo server to measure: ${ADDRESS_SYNTAX}`,
      "         (default: an embedded tcpkit echo server on a free loopback port)",
    ],
    minArgs: 0,
    maxArgs: 1,
    flags: [
      {
        name: "mode",
        kind: "choice",
        metavar: "MODE",
        choices: ["echo", "stream", "connect"],
        default: "echo",
        help: "echo: request/reply; stream: one-way upload; connect: connection setup rate",
      },
      {
        name: "connections",
        short: "c",
        kind: "count",
        metavar: "N",
        default: "50",
        min: 1,
        max: 100_000,
        help: "Concurrent connections",
      },
      {
        name: "size",
        short: "s",
        kind: "size",
        metavar: "BYTES",
        min: 1,
        max: 64 * 1024 ** 2,
        help: "Message size: 64, 4k, 16KiB, 1MiB (default: 64; 128KiB with --mode stream)",
      },
      {
        name: "duration",
        short: "d",
        kind: "duration",
        metavar: "DURATION",
        default: "10s",
        min: 1,
        max: DAY_MS,
        help: "How long to measure (after --warmup)",
      },
      {
        name: "count",
        short: "n",
        kind: "count",
        metavar: "N",
        min: 1,
        max: 1e12,
        help: "Stop after exactly N messages in total instead of after --duration",
      },
      {
        name: "pipeline",
        kind: "count",
        metavar: "K",
        default: "1",
        min: 1,
        max: 1024,
        help: "Messages in flight per connection",
      },
      {
        name: "warmup",
        kind: "duration",
        metavar: "DURATION",
        default: "1s",
        max: DAY_MS,
        help: "Run this long first and leave it out of the results",
      },
      {
        name: "rate",
        short: "r",
        kind: "count",
        metavar: "R",
        min: 1,
        max: 100_000_000,
        help: "Open loop: R messages per second in total, latency from the intended send time",
      },
      {
        name: "interval",
        short: "i",
        kind: "duration",
        metavar: "DURATION",
        default: "1s",
        min: 10,
        max: DAY_MS,
        help: "Progress line on stderr every DURATION",
      },
      { name: "json", kind: "boolean", help: "Print one JSON document on stdout" },
      {
        name: "workers",
        short: "w",
        kind: "count",
        metavar: "N",
        min: 1,
        max: 256,
        help:
          "Client Workers (default: one per core, minus one when the server is on this machine: embedded or loopback)",
      },
      {
        name: "timeout",
        kind: "duration",
        metavar: "DURATION",
        default: "10s",
        min: 1,
        max: DAY_MS,
        help: "A reply or connect slower than this is counted as a stall error",
      },
    ],
    examples: [
      "tcpkit bench                                # embedded server, ~10 seconds",
      "tcpkit bench 127.0.0.1:7000 -c 50 -s 16k -d 10s",
      "tcpkit bench :7000 --rate 20000 --json > result.json",
      "tcpkit bench :5201 --mode stream -s 256k",
    ],
  },
];

/** Finds a command's declaration by name. */
export function commandSpec(name: string): CommandSpec {
  const spec = COMMANDS.find((c) => c.name === name);
  if (!spec) throw new Error(`no command named ${name}`);
  return spec;
}

/** Every first word tcpkit accepts: the declared commands, then help and completions. */
const COMMAND_NAMES: readonly string[] = [...COMMANDS.map((c) => c.name), "help", "completions"];

/** Where a usage error in `argv` is explained: the command's help when it names one. */
export function usageHint(argv: string[]): string {
  const first = argv[0];
  const named = first !== "help" && COMMAND_NAMES.includes(first);
  return named ? `tcpkit ${first} --help` : "tcpkit --help";
}

/** Parses the full argv (without the program name) into an invocation. */
export function parseCli(argv: string[]): Invocation {
  const [first, ...rest] = argv;
  if (first === undefined) throw new UsageError("missing command");
  if (first === "--help" || first === "-h") return { command: "help", text: mainHelp() };
  if (first === "--version" || first === "-V") return { command: "version" };
  if (first === "completions" || (first === "help" && rest[0] === "completions")) {
    return parseCompletions(first === "help" ? ["--help", ...rest.slice(1)] : rest);
  }
  if (first === "help") {
    if (rest.length === 0) return { command: "help", text: mainHelp() };
    if (rest.length > 1) throw new UsageError("help takes at most one command name");
    return { command: "help", text: commandHelp(knownCommand(rest[0])) };
  }
  if (first.startsWith("-")) {
    throw new UsageError(`unknown flag "${first}"; put flags after the command`);
  }
  const spec = knownCommand(first);
  const beforeDashDash = rest.includes("--") ? rest.slice(0, rest.indexOf("--")) : rest;
  if (beforeDashDash.some((a) => a === "--help" || a === "-h")) {
    return { command: "help", text: commandHelp(spec) };
  }
  const parsed = parseFlags(spec, rest);
  const { positionals } = parsed;
  if (positionals.length < spec.minArgs) {
    throw new UsageError(`${spec.name}: missing ${spec.args.replace(/\.\.\.$/, "")}`);
  }
  if (positionals.length > spec.maxArgs) {
    throw new UsageError(`${spec.name}: unexpected argument "${positionals[spec.maxArgs]}"`);
  }
  const flags = new Flags(spec, parsed.values);
  switch (spec.name) {
    case "serve":
      return { command: "serve", options: serveOptions(flags, positionals) };
    case "connect":
      return { command: "connect", options: connectOptions(flags, positionals) };
    default:
      return { command: "bench", options: benchOptions(flags, positionals) };
  }
}

/**
 * `serve`'s options with the declaration's defaults, for a server started in code (the
 * embedded one of `bench`, tests); the caller overrides what it needs.
 */
export function defaultServeOptions(): ServeOptions {
  const serve = commandSpec("serve");
  return serveOptions(new Flags(serve, parseFlags(serve, []).values), []);
}

function knownCommand(name: string): CommandSpec {
  const spec = COMMANDS.find((c) => c.name === name);
  if (!spec) {
    throw new UsageError(`unknown command "${name}" (commands: ${COMMAND_NAMES.join(", ")})`);
  }
  return spec;
}

type RawValues = Record<string, string | boolean | (string | boolean)[] | undefined>;

function parseFlags(spec: CommandSpec, args: string[]) {
  const options: Record<
    string,
    { type: "string" | "boolean"; short?: string; multiple?: boolean }
  > = {};
  for (const flag of [...spec.flags, HELP_FLAG]) {
    options[flag.name] = {
      type: flag.kind === "boolean" ? "boolean" : "string",
      ...(flag.short ? { short: flag.short } : {}),
      ...(flag.multiple ? { multiple: true } : {}),
    };
  }
  try {
    return parseArgs({ args, options, strict: true, allowPositionals: true }) as {
      values: RawValues;
      positionals: string[];
    };
  } catch (error) {
    throw new UsageError(`${spec.name}: ${describeParseError(error as Error)}`);
  }
}

function describeParseError(error: Error): string {
  // Node quotes the flag as '--size', '--size <value>' or '-q, --quiet'.
  const quoted = /'(-[^']*)'/.exec(error.message)?.[1] ?? "";
  const flag = quoted.replace(/ <value>$/, "").split(", ").pop()!;
  const code = (error as Error & { code?: string }).code;
  if (code === "ERR_PARSE_ARGS_UNKNOWN_OPTION") return `unknown flag "${flag}"`;
  if (/ambiguous/.test(error.message)) {
    return `flag ${flag} needs a value (write ${flag}=VALUE for a value starting with "-")`;
  }
  if (/missing/.test(error.message)) return `flag ${flag} needs a value`;
  if (/does not take an argument/.test(error.message)) return `flag ${flag} does not take a value`;
  if (code === "ERR_PARSE_ARGS_UNEXPECTED_POSITIONAL") return "unexpected argument";
  return error.message.split("\n")[0];
}

/** Typed access to one command's parsed flags, applying declared defaults and limits. */
class Flags implements FlagValues {
  constructor(private spec: CommandSpec, private values: RawValues) {}

  given(name: string): boolean {
    this.flag(name);
    return this.values[name] !== undefined;
  }

  bool(name: string): boolean {
    this.flag(name, "boolean");
    return this.values[name] === true;
  }

  string(name: string): string | undefined {
    const flag = this.flag(name, "string");
    const value = this.raw(flag);
    if (value === "") throw this.invalid(flag, value, "must not be empty");
    return value;
  }

  strings(name: string): string[] {
    this.flag(name, "string");
    const value = this.values[name];
    return Array.isArray(value) ? value.map(String) : [];
  }

  choice(name: string): string {
    const flag = this.flag(name, "choice");
    const value = this.raw(flag)!;
    if (!flag.choices!.includes(value)) {
      throw this.invalid(flag, value, `must be one of ${flag.choices!.join(", ")}`);
    }
    return value;
  }

  count(name: string): number | undefined {
    return this.numeric(name, "count", parseCount, String);
  }

  duration(name: string): number | undefined {
    return this.numeric(name, "duration", parseDuration, (ms) => `${ms}ms`);
  }

  size(name: string): number | undefined {
    return this.numeric(name, "size", parseSize, (b) => `${b} bytes`);
  }

  private numeric(
    name: string,
    kind: FlagKind,
    parse: (text: string) => number,
    show: (n: number) => string,
  ): number | undefined {
    const flag = this.flag(name, kind);
    const text = this.raw(flag);
    if (text === undefined) return undefined;
    let value: number;
    try {
      value = parse(text);
    } catch (error) {
      throw new UsageError(`invalid value for --${flag.name}: ${(error as Error).message}`);
    }
    const min = flag.min ?? 0;
    if (value < min) {
      throw this.invalid(
        flag,
        text,
        min === 1 && kind === "count" ? "must be at least 1" : `must be at least ${show(min)}`,
      );
    }
    if (flag.max !== undefined && value > flag.max) {
      throw this.invalid(flag, text, `must be at most ${show(flag.max)}`);
    }
    return value;
  }

  private raw(flag: FlagSpec): string | undefined {
    const value = this.values[flag.name];
    if (Array.isArray(value)) return String(value[value.length - 1]);
    return value === undefined ? flag.default : String(value);
  }

  private invalid(flag: FlagSpec, value: string, why: string): UsageError {
    return new UsageError(`invalid value for --${flag.name}: "${value}" ${why}`);
  }

  private flag(name: string, kind?: FlagKind): FlagSpec {
    const flag = this.spec.flags.find((f) => f.name === name);
    if (!flag || (kind && flag.kind !== kind)) {
      throw new Error(`${this.spec.name} declares no ${kind ?? ""} flag --${name}`);
    }
    return flag;
  }
}

/** Top-level usage text. */
export function mainHelp(): string {
  const width = Math.max(...COMMANDS.map((c) => c.name.length), "completions".length);
  return [
    "tcpkit: a TCP toolkit: server, netcat-style client and echo benchmark",
    "",
    "Usage: tcpkit COMMAND [options] [arguments]",
    "",
    "Commands:",
    ...COMMANDS.map((c) => `  ${c.name.padEnd(width)}  ${c.summary}`),
    `  ${"help".padEnd(width)}  Show help for a command: tcpkit help COMMAND`,
    `  ${"completions".padEnd(width)}  Print a shell completion script: bash, zsh or fish`,
    "",
    "Options:",
    "  -h, --help     Show this help",
    "  -V, --version  Show the version",
    "",
    "Exit codes: 0 success, 1 runtime or network failure, 2 usage error.",
    "Run 'tcpkit COMMAND --help' for a command's options.",
    "",
  ].join("\n");
}

/** Usage text for one command, generated from its declaration. */
export function commandHelp(spec: CommandSpec): string {
  const label = (f: FlagSpec) =>
    `${f.short ? `-${f.short}, ` : "    "}--${f.name}${f.metavar ? ` ${f.metavar}` : ""}`;
  const flags = [...spec.flags, HELP_FLAG];
  const width = Math.max(...flags.map((f) => label(f).length));
  const describe = (f: FlagSpec) => {
    const extras: string[] = [];
    if (f.default !== undefined) extras.push(`default: ${f.default}`);
    if (f.multiple) extras.push("repeatable");
    return extras.length > 0 ? `${f.help} (${extras.join("; ")})` : f.help;
  };
  return [
    `Usage: tcpkit ${spec.name} [options] ${spec.args}`,
    "",
    spec.summary,
    "",
    "Arguments:",
    ...spec.argsHelp.map((line) => `  ${line}`),
    "",
    "Options:",
    ...flags.map((f) => `  ${label(f).padEnd(width)}  ${describe(f)}`),
    "",
    "Examples:",
    ...spec.examples.map((e) => `  ${e}`),
    "",
  ].join("\n");
}

/** `tcpkit completions SHELL`: the shell name is its only argument. */
function parseCompletions(args: string[]): Invocation {
  if (args.includes("--help") || args.includes("-h")) {
    return { command: "help", text: completionsHelp() };
  }
  const shells = SHELLS.join(", ");
  if (args.length === 0) throw new UsageError(`completions: missing SHELL (one of ${shells})`);
  if (args.length > 1) throw new UsageError(`completions: unexpected argument "${args[1]}"`);
  const shell = SHELLS.find((s) => s === args[0]);
  if (!shell) throw new UsageError(`completions: unknown shell "${args[0]}" (shells: ${shells})`);
  return { command: "completions", shell };
}

/** Usage text for `tcpkit completions`. */
export function completionsHelp(): string {
  return [
    "Usage: tcpkit completions SHELL",
    "",
    "Print a completion script for SHELL (bash, zsh or fish) on stdout",
    "",
    "Examples:",
    "  source <(tcpkit completions bash)                        # this bash session",
    "  tcpkit completions bash > ~/.local/share/bash-completion/completions/tcpkit",
    '  tcpkit completions zsh > "${fpath[1]}/_tcpkit"',
    "  tcpkit completions fish > ~/.config/fish/completions/tcpkit.fish",
    "",
  ].join("\n");
}
