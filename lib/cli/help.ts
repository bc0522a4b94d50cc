/**
 * Help text, generated from the declaration and laid out for a width in columns: the
 * overview (`tcpkit --help`) and each command's usage, arguments, options and examples.
 * Pure: the caller looks up the terminal's width and passes it in.
 */

import {
  COMMANDS,
  type CommandSpec,
  COMPLETIONS_COMMAND,
  type FlagSpec,
  HELP_FLAG,
  HELP_SUMMARY,
  SUBCOMMANDS,
  TOP_FLAGS,
} from "./declaration.ts";
import { columns, wrap } from "./wrap.ts";

/** The width help is laid out for when stdout is not a terminal. */
export const HELP_WIDTH = 100;

/** Narrower than this, help is laid out for this width anyway and the terminal folds it. */
const MIN_WIDTH = 40;

/**
 * The help for `topic` (`tcpkit` for the overview, else a command's name, or a
 * subcommand's full name such as `bench merge`), its lines wrapped to `width` columns.
 * Examples are shell lines and are never wrapped.
 */
export function helpText(topic: string, columns: number): string {
  const width = Math.max(columns, MIN_WIDTH);
  if (topic === "tcpkit") return mainHelp(width);
  const spec = [...COMMANDS, ...SUBCOMMANDS, COMPLETIONS_COMMAND].find((c) => c.name === topic);
  if (!spec) throw new Error(`no help for "${topic}"`);
  return commandHelp(spec, width);
}

function mainHelp(width: number): string {
  const commands: [string, string][] = [
    ...COMMANDS.map((c): [string, string] => [c.name, c.summary]),
    ["help", HELP_SUMMARY],
    [COMPLETIONS_COMMAND.name, COMPLETIONS_COMMAND.summary],
  ];
  return [
    ...wrap("tcpkit: a TCP toolkit: server, netcat-style client and echo benchmark", width),
    "",
    "Usage: tcpkit COMMAND [options] [arguments]",
    "",
    "Commands:",
    ...columns(commands, width),
    "",
    "Options:",
    ...columns(TOP_FLAGS.map((f) => [flagLabel(f), f.help]), width),
    "",
    ...wrap("Exit codes: 0 success, 1 runtime or network failure, 2 usage error.", width),
    ...wrap("Run 'tcpkit COMMAND --help' for a command's options.", width),
    "",
  ].join("\n");
}

function commandHelp(spec: CommandSpec, width: number): string {
  const flags = [...spec.flags, HELP_FLAG];
  const subs = spec.subcommands ?? [];
  return [
    `Usage: tcpkit ${spec.name} [options] ${spec.args}`,
    ...(subs.length > 0 ? [`       tcpkit ${spec.name} SUBCOMMAND [options] [arguments]`] : []),
    "",
    ...wrap(spec.summary, width),
    "",
    "Arguments:",
    ...columns(spec.argsHelp.map((a) => [a.name, a.help]), width),
    "",
    ...(subs.length > 0
      ? [
        "Subcommands:",
        ...columns(subs.map((s) => [`${s.name} ${s.args}`, s.summary]), width),
        ...wrap(`Run 'tcpkit ${spec.name} SUBCOMMAND --help' for a subcommand's options.`, width),
        "",
      ]
      : []),
    "Options:",
    ...columns(flags.map((f) => [flagLabel(f), describe(f)]), width),
    "",
    "Examples:",
    ...spec.examples.map((e) => `  ${e}`),
    "",
  ].join("\n");
}

/** `-c, --connections N`, or `    --pipeline K` (aligned under the long names). */
function flagLabel(flag: FlagSpec): string {
  const short = flag.short ? `-${flag.short}, ` : "    ";
  return `${short}--${flag.name}${flag.metavar ? ` ${flag.metavar}` : ""}`;
}

/** The flag's help with its default and whether it repeats. */
function describe(flag: FlagSpec): string {
  const extras: string[] = [];
  if (flag.default !== undefined) extras.push(`default: ${flag.default}`);
  if (flag.multiple) extras.push("repeatable");
  return extras.length > 0 ? `${flag.help} (${extras.join("; ")})` : flag.help;
}
