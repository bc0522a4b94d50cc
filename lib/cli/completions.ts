/**
 * Shell completion scripts for bash, zsh and fish, generated from the one CLI
 * declaration (declaration.ts): subcommands (and a command's own, such as `bench merge`),
 * long and short flags, and the values of `choice` flags such as `--mode`. Pure: returns
 * strings, does no I/O.
 */

import {
  COMMANDS,
  type CommandSpec,
  COMPLETIONS_COMMAND,
  type FlagSpec,
  HELP_FLAG,
  HELP_SUMMARY,
  type Shell,
  SHELLS,
  TOP_FLAGS,
} from "./declaration.ts";

const PROGRAM = "tcpkit";

/** A word the shell may offer (subcommand or flag value). */
interface Word {
  name: string;
  help: string;
}

/** One subcommand as the completion scripts see it. */
interface CompletionCommand {
  /** As typed after `tcpkit`: `serve`, or `bench merge` for a command's own subcommand. */
  name: string;
  summary: string;
  flags: readonly FlagSpec[];
  /** Fixed values for the first positional argument, if it has any. */
  positionals?: Word[];
  /** The command's own subcommands (`merge`), offered as the word right after it. */
  subcommands?: Word[];
  /** For a command's own subcommand: the command (`bench`) and its word (`merge`). */
  parent?: { name: string; word: string };
  /** Its arguments are file names. */
  fileArgs?: boolean;
}

const SHELL_HELP: Record<Shell, string> = {
  bash: "Bash completion script",
  zsh: "Zsh completion script",
  fish: "Fish completion script",
};

/** Every subcommand, including `help` and `completions`, with the help flag added. */
function completionCommands(commands: readonly CommandSpec[]): CompletionCommand[] {
  const declared = commands.map((c) => ({
    name: c.name,
    summary: c.summary,
    flags: [...c.flags, HELP_FLAG],
  }));
  const withSubcommands = commands.flatMap((c): CompletionCommand[] => [
    {
      name: c.name,
      summary: c.summary,
      flags: [...c.flags, HELP_FLAG],
      ...(c.subcommands ? { subcommands: c.subcommands.map((s) => wordOf(s)) } : {}),
    },
    ...(c.subcommands ?? []).map((s) => ({
      name: `${c.name} ${s.name}`,
      summary: s.summary,
      flags: [...s.flags, HELP_FLAG],
      parent: { name: c.name, word: s.name },
      fileArgs: s.fileArgs,
    })),
  ]);
  return [
    ...withSubcommands,
    {
      name: COMPLETIONS_COMMAND.name,
      summary: COMPLETIONS_COMMAND.summary,
      flags: [...COMPLETIONS_COMMAND.flags, HELP_FLAG],
      positionals: SHELLS.map((s) => ({ name: s, help: SHELL_HELP[s] })),
    },
    {
      name: "help",
      summary: HELP_SUMMARY,
      flags: [],
      positionals: [...declared, COMPLETIONS_COMMAND].map((c) => ({
        name: c.name,
        help: c.summary,
      })),
    },
  ];
}

function wordOf(command: CommandSpec): Word {
  return { name: command.name, help: command.summary };
}

/** The completion script for `shell`, generated from `commands` (default: COMMANDS). */
export function completionScript(
  shell: Shell,
  commands: readonly CommandSpec[] = COMMANDS,
): string {
  const model = completionCommands(commands);
  for (const command of model) {
    const words = [
      ...(command.parent ? [command.parent.name, command.parent.word] : [command.name]),
      ...command.flags.flatMap((f) => [f.name, f.short ?? "x", ...(f.choices ?? [])]),
      ...(command.positionals ?? []).map((p) => p.name),
      ...(command.subcommands ?? []).map((p) => p.name),
    ];
    // Words go into shell code unquoted (compgen -W lists, zsh specs): keep them plain.
    for (const word of words) {
      if (!/^[A-Za-z0-9][A-Za-z0-9._-]*$/.test(word)) {
        throw new Error(`cannot complete ${JSON.stringify(word)} in ${command.name}`);
      }
    }
  }
  switch (shell) {
    case "bash":
      return bashScript(model);
    case "zsh":
      return zshScript(model);
    case "fish":
      return fishScript(model);
  }
}

const takesValue = (f: FlagSpec) => f.kind !== "boolean";
const completesFiles = (f: FlagSpec) => f.metavar === "PATH";
const flagWords = (flags: readonly FlagSpec[]) =>
  flags.flatMap((f) => [`--${f.name}`, ...(f.short ? [`-${f.short}`] : [])]);

function bashScript(commands: CompletionCommand[]): string {
  const fn = `_${PROGRAM}`;
  const topWords = [
    ...commands.filter((c) => !c.parent).map((c) => c.name),
    ...flagWords(TOP_FLAGS),
  ];
  const cases = commands.map((command) => {
    const lines = [`    ${command.parent ? `"${command.name}"` : command.name})`];
    const valueFlags = command.flags.filter(takesValue);
    if (valueFlags.length > 0) {
      lines.push(`      case "$flag" in`);
      for (const flag of valueFlags) {
        const names = [`--${flag.name}`, ...(flag.short ? [`-${flag.short}`] : [])].join("|");
        const action = flag.choices
          ? `COMPREPLY=($(compgen -W "${flag.choices.join(" ")}" -- "$cur"))`
          : completesFiles(flag)
          ? `COMPREPLY=($(compgen -f -- "$cur"))`
          : "compopt +o default 2>/dev/null"; // a number or duration: no file names
        lines.push(`        ${names}) ${action}; return ;;`);
      }
      lines.push(`      esac`);
    }
    const words = flagWords(command.flags).join(" ");
    lines.push(
      `      if [[ $cur == -* ]]; then`,
      `        COMPREPLY=($(compgen -W "${words}" -- "$cur"))`,
    );
    if (command.positionals) {
      const values = command.positionals.map((p) => p.name).join(" ");
      lines.push(
        `      elif ((npos == 0)); then`,
        `        COMPREPLY=($(compgen -W "${values}" -- "$cur"))`,
      );
    }
    if (command.subcommands) {
      // A subcommand is only the word right after the command.
      const values = command.subcommands.map((p) => p.name).join(" ");
      lines.push(
        `      elif ((COMP_CWORD == at + 1)); then`,
        `        COMPREPLY=($(compgen -W "${values}" -- "$cur"))`,
      );
    }
    lines.push(`      fi`, `      ;;`);
    return lines.join("\n");
  });
  // A value flag swallows the next word, so it is not counted as a positional.
  const valueFlagPattern = [
    ...new Set(
      commands.flatMap((c) => c.flags.filter(takesValue)).flatMap((f) => [
        `--${f.name}`,
        ...(f.short ? [`-${f.short}`] : []),
      ]),
    ),
  ].join("|");
  const subcommandWords = commands.filter((c) => c.parent).map((c) => `"1 ${c.name}"`);
  // The word right after a command that has subcommands may be one of them.
  const positional = subcommandWords.length === 0 ? `*) ((npos++)) ;;` : `*)
          case "$((i - at)) $cmd $word" in
            ${subcommandWords.join("|")}) cmd="$cmd $word" ;;
            *) ((npos++)) ;;
          esac
          ;;`;
  return `# bash completion for ${PROGRAM}; generated by \`${PROGRAM} completions bash\`.
# Load it with: source <(${PROGRAM} completions bash)

${fn}() {
  local cur="\${COMP_WORDS[COMP_CWORD]}" flag="" cmd="" at=0 npos=0 i word
  ((COMP_CWORD > 0)) && flag="\${COMP_WORDS[COMP_CWORD - 1]}"
  # COMP_WORDBREAKS splits --mode=echo into "--mode" "=" "echo".
  if [[ $cur == "=" ]]; then
    cur=""
  elif [[ $flag == "=" && COMP_CWORD -gt 1 ]]; then
    flag="\${COMP_WORDS[COMP_CWORD - 2]}"
  elif [[ $cur == --*=* ]]; then
    flag="\${cur%%=*}"
    cur="\${cur#*=}"
  fi
  for ((i = 1; i < COMP_CWORD; i++)); do
    word="\${COMP_WORDS[i]}"
    if [[ -z $cmd ]]; then
      [[ $word != -* ]] && cmd="$word" && at=$i
    elif [[ $word != -* && $word != "=" ]]; then
      case "\${COMP_WORDS[i - 1]}" in
        ${valueFlagPattern}|=) ;;
        ${positional}
      esac
    fi
  done
  COMPREPLY=()
  case "$cmd" in
    "")
      COMPREPLY=($(compgen -W "${topWords.join(" ")}" -- "$cur"))
      ;;
${cases.join("\n")}
  esac
}

complete -o default -F ${fn} ${PROGRAM}
`;
}

/** Escapes text for a single-quoted zsh string inside an _arguments description. */
function zshEscape(text: string): string {
  return text
    .replaceAll("\\", "\\\\")
    .replaceAll("'", "'\\''")
    .replaceAll("[", "\\[")
    .replaceAll("]", "\\]")
    .replaceAll(":", "\\:")
    .replaceAll("$", "\\$")
    .replaceAll("`", "\\`");
}

/** `_arguments` specs for one flag: one per spelling (`--quiet`, `-q`). */
function zshFlag(flag: FlagSpec): string[] {
  const names = [`--${flag.name}`, ...(flag.short ? [`-${flag.short}`] : [])];
  const exclusion = flag.multiple ? "*" : names.length > 1 ? `(${names.join(" ")})` : "";
  const action = !takesValue(flag)
    ? ""
    : flag.choices
    ? `:${flag.metavar ?? "VALUE"}:(${flag.choices.join(" ")})`
    : `:${flag.metavar ?? "VALUE"}:${completesFiles(flag) ? "_files" : " "}`;
  const spec = (name: string) =>
    `'${exclusion}${name}${takesValue(flag) && name.startsWith("--") ? "=" : ""}[${
      zshEscape(flag.help)
    }]${action}'`;
  return names.map(spec);
}

function zshScript(commands: CompletionCommand[]): string {
  const fn = `_${PROGRAM}`;
  const describe = commands
    .filter((c) => !c.parent)
    .map((c) => `    '${c.name}:${c.summary.replaceAll("'", "'\\''")}'`)
    .join("\n");
  /** The `_arguments` call for one command, each line indented by `indent`. */
  const zshArguments = (command: CompletionCommand, indent: string) => {
    const specs = command.flags.flatMap(zshFlag);
    if (command.positionals) {
      const values = command.positionals.map((p) => p.name).join(" ");
      specs.push(`'1:${command.name === "help" ? "command" : "shell"}:(${values})'`);
    } else if (command.subcommands) {
      const values = command.subcommands.map((p) => p.name).join(" ");
      specs.push(`'1:subcommand or ADDRESS:(${values})'`);
    } else if (command.fileArgs) {
      specs.push(`'*:FILE:_files'`);
    } else {
      specs.push(`'*:ADDRESS: '`);
    }
    return `${indent}_arguments -s -S \\\n${indent}${specs.join(` \\\n${indent}`)}`;
  };
  const cases = commands.filter((c) => !c.parent).map((command) => {
    const subs = commands.filter((c) => c.parent?.name === command.name);
    if (subs.length === 0) {
      return `      ${command.name})\n${zshArguments(command, "        ")}\n        ;;`;
    }
    // `tcpkit bench merge ...`: drop the command word, then complete the subcommand's.
    const words = subs.map((c) => c.parent!.word).join("|");
    const subCases = subs.map((sub) =>
      `            ${sub.parent!.word})\n${zshArguments(sub, "              ")}\n              ;;`
    );
    return `      ${command.name})
        if (( CURRENT > 2 )) && [[ $words[2] == (${words}) ]]; then
          shift words
          (( CURRENT-- ))
          case $words[1] in
${subCases.join("\n")}
          esac
        else
${zshArguments(command, "          ")}
        fi
        ;;`;
  });
  return `#compdef ${PROGRAM}
# zsh completion for ${PROGRAM}; generated by \`${PROGRAM} completions zsh\`.
# Save it as _${PROGRAM} in a directory on $fpath, or load it with:
#   source <(${PROGRAM} completions zsh)

${fn}_commands() {
  local -a commands
  commands=(
${describe}
  )
  _describe -t commands '${PROGRAM} command' commands
}

${fn}() {
  local curcontext="$curcontext" state line
  typeset -A opt_args
  _arguments -C \\
    ${TOP_FLAGS.flatMap(zshFlag).join(" \\\n    ")} \\
    '1: :${fn}_commands' \\
    '*:: :->args'
  case $state in
    args)
      case $words[1] in
${cases.join("\n")}
      esac
      ;;
  esac
}

if [[ $funcstack[1] == ${fn} ]]; then
  ${fn} "$@"
else
  compdef ${fn} ${PROGRAM}
fi
`;
}

/** Quotes text for fish: single quotes, with \\ and ' escaped. */
function fishQuote(text: string): string {
  return `'${text.replaceAll("\\", "\\\\").replaceAll("'", "\\'")}'`;
}

function fishFlag(condition: string, flag: FlagSpec): string {
  const parts = [`complete -c ${PROGRAM} -n ${fishQuote(condition)} -l ${flag.name}`];
  if (flag.short) parts.push(`-s ${flag.short}`);
  if (flag.choices) parts.push(`-x -a ${fishQuote(flag.choices.join(" "))}`);
  else if (completesFiles(flag)) parts.push("-r -F");
  else if (takesValue(flag)) parts.push("-x");
  parts.push(`-d ${fishQuote(flag.help)}`);
  return parts.join(" ");
}

function fishScript(commands: CompletionCommand[]): string {
  const lines = [
    `# fish completion for ${PROGRAM}; generated by \`${PROGRAM} completions fish\`.`,
    `# Save it as ~/.config/fish/completions/${PROGRAM}.fish, or load it with:`,
    `#   ${PROGRAM} completions fish | source`,
    "",
    `complete -c ${PROGRAM} -f`,
    ...TOP_FLAGS.map((f) => fishFlag("__fish_use_subcommand", f)),
    ...commands.filter((c) => !c.parent).map((c) =>
      `complete -c ${PROGRAM} -n __fish_use_subcommand -a ${c.name} -d ${fishQuote(c.summary)}`
    ),
  ];
  for (const command of commands) {
    const seen = (words: string) => `__fish_seen_subcommand_from ${words}`;
    // A command with subcommands completes its own flags only until one is typed.
    const condition = command.parent
      ? `${seen(command.parent.name)}; and ${seen(command.parent.word)}`
      : command.subcommands
      ? `${seen(command.name)}; and not ${seen(command.subcommands.map((s) => s.name).join(" "))}`
      : seen(command.name);
    lines.push("", ...command.flags.map((f) => fishFlag(condition, f)));
    // A positional is offered once, and not to another command's positional: fish sees
    // "completions" in `tcpkit help completions`, which must not offer shells.
    const values = [...command.positionals ?? [], ...command.subcommands ?? []];
    const others = commands.filter((c) => c !== command && c.positionals).map((c) => c.name);
    // (a command's subcommands are already excluded by its condition)
    const taken = new Set([...others, ...(command.positionals ?? []).map((p) => p.name)]);
    const positional = `${condition}; and not __fish_seen_subcommand_from ${[...taken].join(" ")}`;
    for (const value of values) {
      lines.push(
        `complete -c ${PROGRAM} -n ${fishQuote(positional)} -a ${value.name} -d ${
          fishQuote(value.help)
        }`,
      );
    }
    if (command.fileArgs) lines.push(`complete -c ${PROGRAM} -n ${fishQuote(condition)} -F`);
  }
  return lines.join("\n") + "\n";
}
