/**
 * The top of the command line: which command argv names, and that command's arguments
 * read into its typed options (or a help topic, the version, a shell name). The options
 * builders live with their commands; this file picks one and hands it the flags. Pure.
 */

import { UsageError } from "../common/errors.ts";
import { type BenchOptions, benchOptions } from "../bench/options.ts";
import {
  type CompareOptions,
  compareOptions,
  type MergeOptions,
  mergeOptions,
  type PlotOptions,
  plotOptions,
} from "../bench/artifact_options.ts";
import { type ConnectOptions, connectOptions } from "../connect/options.ts";
import { type ServeOptions, serveOptions } from "../serve/options.ts";
import {
  COMMAND_NAMES,
  COMMANDS,
  type CommandSpec,
  COMPLETIONS_COMMAND,
  type Shell,
  SHELLS,
  SUBCOMMANDS,
} from "./declaration.ts";
import { parseFlags } from "./flags.ts";

/** What the command line asks for. */
export type Invocation =
  /** `topic` is `tcpkit` for the overview, else a command's name (`completions` included). */
  | { command: "help"; topic: string }
  | { command: "version" }
  | { command: "serve"; options: ServeOptions }
  | { command: "connect"; options: ConnectOptions }
  | { command: "bench"; options: BenchOptions }
  | { command: "bench merge"; options: MergeOptions }
  | { command: "bench compare"; options: CompareOptions }
  | { command: "bench plot"; options: PlotOptions }
  | { command: "completions"; shell: Shell };

/**
 * Where a usage error in `argv` is explained: the (sub)command's help when it names one.
 */
export function usageHint(argv: readonly string[]): string {
  const first = argv[0];
  const sub = subcommand(first, argv[1]);
  if (sub) return `tcpkit ${sub.name} --help`;
  const named = first !== "help" && COMMAND_NAMES.includes(first);
  return named ? `tcpkit ${first} --help` : "tcpkit --help";
}

/** Parses the full argv (without the program name) into an invocation. */
export function parseCli(argv: readonly string[]): Invocation {
  const [first, ...rest] = argv;
  if (first === undefined) throw new UsageError("missing command");
  if (isHelpFlag(first)) return help("tcpkit");
  if (first === "--version" || first === "-V") return { command: "version" };
  if (first === "help") return parseHelp(rest);
  if (first.startsWith("-")) {
    throw new UsageError(`unknown flag "${first}"; put flags after the command`);
  }
  if (first === COMPLETIONS_COMMAND.name) return parseCompletions(rest);
  const command = knownCommand(first);
  // A subcommand is the word right after its command: `tcpkit bench merge a.json`.
  const sub = subcommand(first, rest[0]);
  const spec = sub ?? command;
  const args = sub ? rest.slice(1) : rest;
  // Help wins over any other mistake on the line: the user is asking how to fix it.
  if (beforeDashDash(args).some(isHelpFlag)) return help(spec.name);
  const parsed = parseFlags(spec, args);
  if (parsed.help) return help(spec.name);
  const { flags, positionals } = parsed;
  const misplaced = sub ? undefined : positionals.map((p) => subcommand(first, p)).find((s) => s);
  if (misplaced) {
    const word = misplaced.name.slice(spec.name.length + 1);
    throw new UsageError(
      `${spec.name}: "${word}" must come right after "${spec.name}": ` +
        `tcpkit ${misplaced.name} ${misplaced.args}`,
    );
  }
  if (positionals.length < spec.minArgs) {
    const missing = spec.argsHelp[positionals.length]?.name ?? spec.args;
    throw new UsageError(`${spec.name}: missing ${missing.replace(/\.\.\.$/, "")}`);
  }
  if (positionals.length > spec.maxArgs) {
    throw new UsageError(`${spec.name}: unexpected argument "${positionals[spec.maxArgs]}"`);
  }
  switch (spec.name) {
    case "serve":
      return { command: "serve", options: serveOptions(flags, positionals) };
    case "connect":
      return { command: "connect", options: connectOptions(flags, positionals) };
    case "bench":
      return { command: "bench", options: benchOptions(flags, positionals) };
    case "bench merge":
      return { command: "bench merge", options: mergeOptions(flags, positionals) };
    case "bench compare":
      return { command: "bench compare", options: compareOptions(flags, positionals) };
    case "bench plot":
      return { command: "bench plot", options: plotOptions(flags, positionals) };
    default:
      throw new Error(`no options builder for ${spec.name}`);
  }
}

/**
 * `serve`'s options with the declaration's defaults, for a server started in code (the
 * embedded one of `bench`, tests); the caller overrides what it needs.
 */
export function defaultServeOptions(): ServeOptions {
  return serveOptions(parseFlags(knownCommand("serve"), []).flags, []);
}

const help = (topic: string): Invocation => ({ command: "help", topic });
const isHelpFlag = (arg: string) => arg === "--help" || arg === "-h";
const beforeDashDash = (args: readonly string[]) =>
  args.includes("--") ? args.slice(0, args.indexOf("--")) : args;

/** The subcommand `word` of `command` (with its full name, `bench merge`), if it is one. */
function subcommand(command: string | undefined, word: string | undefined) {
  return SUBCOMMANDS.find((s) => s.name === `${command} ${word}`);
}

function knownCommand(name: string): CommandSpec {
  const spec = COMMANDS.find((c) => c.name === name);
  if (!spec) {
    throw new UsageError(`unknown command "${name}" (commands: ${COMMAND_NAMES.join(", ")})`);
  }
  return spec;
}

/**
 * `tcpkit help [COMMAND [SUBCOMMAND]]`; `help help` and a stray `--help` show the overview.
 */
function parseHelp(args: readonly string[]): Invocation {
  const words = args.filter((a) => !isHelpFlag(a));
  const sub = words.length === 2 ? subcommand(words[0], words[1]) : undefined;
  if (sub) return help(sub.name);
  if (words.length > 1) throw new UsageError("help takes at most one command name");
  const topic = words[0] ?? "help";
  if (topic === "help") return help("tcpkit");
  if (topic === COMPLETIONS_COMMAND.name) return help(topic);
  return help(knownCommand(topic).name);
}

/** `tcpkit completions SHELL`: the shell name is its only argument. */
function parseCompletions(args: readonly string[]): Invocation {
  if (beforeDashDash(args).some(isHelpFlag)) return help(COMPLETIONS_COMMAND.name);
  const { positionals, help: wantsHelp } = parseFlags(COMPLETIONS_COMMAND, args);
  if (wantsHelp) return help(COMPLETIONS_COMMAND.name);
  const shells = SHELLS.join(", ");
  if (positionals.length === 0) {
    throw new UsageError(`completions: missing SHELL (one of ${shells})`);
  }
  if (positionals.length > 1) {
    throw new UsageError(`completions: unexpected argument "${positionals[1]}"`);
  }
  const shell = SHELLS.find((s) => s === positionals[0]);
  if (!shell) {
    throw new UsageError(`completions: unknown shell "${positionals[0]}" (shells: ${shells})`);
  }
  return { command: "completions", shell };
}
