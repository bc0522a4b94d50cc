/**
 * Reads one command's flags from its arguments, strictly, by the declaration, and gives
 * the options builders their typed view of them (`FlagValues`): declared defaults and
 * limits applied, every bad value a usage error naming the flag. Pure: no I/O.
 *
 * `@std/cli`'s parseArgs is permissive by design: an unknown flag passes, `--no-x`
 * negates, a boolean swallows a following `true` or `false`, a value flag missing its
 * value reads as "", `-s16k` splits into letters. So a strict scanner reads the arguments
 * first, against the declaration, and turns each of those into a usage error; parseArgs
 * then reads the scanner's canonical spelling (`--name=value`, `--name`, then `--` and the
 * arguments), in which none of those ambiguities exist, and collects the values: the last
 * one wins, a repeatable flag keeps them all in order.
 *
 * Spellings accepted: `--name value`, `--name=value`, `-n value`, `-n=value`, `-nvalue`.
 * Booleans cluster (`-zv`), and a value flag may end a cluster (`-zw 2s`, `-zw2s`). A
 * value starting with "-" needs the attached form (`--name=-x`); `--` ends the flags.
 */

import { parseArgs } from "@std/cli/parse-args";
import { UsageError } from "../common/errors.ts";
import type { FlagValues } from "../common/flag_values.ts";
import { parseCount, parseDuration, parseSize } from "../common/units.ts";
import { type CommandSpec, type FlagKind, type FlagSpec, HELP_FLAG } from "./declaration.ts";

/** One command's arguments, read. */
export interface ParsedArgs {
  flags: FlagValues;
  /** The arguments that are not flags or flag values, in order. */
  positionals: string[];
  /** `-h`/`--help` was given, alone or in a cluster such as `-qh`. */
  help: boolean;
}

/** Reads `args` (the words after the command name) by `spec`; a mistake is a UsageError. */
export function parseFlags(spec: CommandSpec, args: readonly string[]): ParsedArgs {
  const declared = [...spec.flags, HELP_FLAG];
  const canonical = scan(spec.name, declared, args);
  const parsed = parseArgs(canonical, {
    boolean: declared.filter((f) => f.kind === "boolean").map((f) => f.name),
    string: declared.filter((f) => f.kind !== "boolean").map((f) => f.name),
    collect: declared.filter((f) => f.multiple).map((f) => f.name),
    "--": true,
    unknown: (arg: string) => {
      // The scanner only writes declared names; reaching this is a bug, not bad input.
      throw new Error(`${spec.name}: parseArgs met "${arg}", which the flag scanner let through`);
    },
  });
  const positionals = parsed["--"] ?? [];
  if (parsed._.length > 0) {
    throw new Error(`${spec.name}: parseArgs found arguments before "--": ${parsed._.join(" ")}`);
  }
  const values = parsed as Record<string, unknown>;
  return { flags: new Flags(spec, values), positionals, help: values[HELP_FLAG.name] === true };
}

/**
 * Checks `args` against the declared flags and spells them canonically: `--name=value` or
 * `--name` (a boolean, or a value flag given "": parseArgs reads a bare string flag as ""),
 * then `--` and the positional arguments.
 */
function scan(command: string, flags: readonly FlagSpec[], args: readonly string[]): string[] {
  const fail = (message: string) => new UsageError(`${command}: ${message}`);
  const byLong = new Map(flags.map((f) => [f.name, f]));
  const byShort = new Map(flags.filter((f) => f.short).map((f) => [f.short!, f]));
  const canonical: string[] = [];
  const positionals: string[] = [];
  const emit = (flag: FlagSpec, value?: string) =>
    canonical.push(value ? `--${flag.name}=${value}` : `--${flag.name}`);
  for (let i = 0; i < args.length; i++) {
    const arg = args[i];
    /** The next word as the value of flag `shown`: present, and not itself flag-like. */
    const nextValue = (shown: string): string => {
      const next = args[i + 1];
      if (next === undefined) throw fail(`flag ${shown} needs a value`);
      if (next.length > 1 && next.startsWith("-")) {
        throw fail(
          `flag ${shown} needs a value (write ${shown}=VALUE for a value starting with "-")`,
        );
      }
      i++;
      return next;
    };
    if (arg === "--") {
      positionals.push(...args.slice(i + 1));
      break;
    }
    if (arg.startsWith("--")) {
      const equals = arg.indexOf("=");
      const name = equals < 0 ? arg.slice(2) : arg.slice(2, equals);
      const attached = equals < 0 ? undefined : arg.slice(equals + 1);
      const shown = `--${name}`;
      const flag = byLong.get(name);
      if (!flag) throw fail(`unknown flag "${name === "" ? arg : shown}"`);
      if (flag.kind !== "boolean") emit(flag, attached ?? nextValue(shown));
      else if (attached === undefined) emit(flag);
      else throw fail(`flag ${shown} does not take a value`);
    } else if (arg.length > 1 && arg.startsWith("-")) {
      const letters = [...arg.slice(1)];
      for (let j = 0; j < letters.length; j++) {
        const shown = `-${letters[j]}`;
        const flag = byShort.get(letters[j]);
        if (!flag) throw fail(`unknown flag "${shown}"${letters.length > 1 ? ` in "${arg}"` : ""}`);
        if (flag.kind === "boolean") {
          if (letters[j + 1] === "=") throw fail(`flag ${shown} does not take a value`);
          emit(flag);
          continue;
        }
        const rest = letters.slice(j + 1).join("");
        emit(flag, rest === "" ? nextValue(shown) : rest.replace(/^=/, ""));
        break;
      }
    } else {
      positionals.push(arg);
    }
  }
  return [...canonical, "--", ...positionals];
}

/** Typed access to one command's parsed flags, applying declared defaults and limits. */
class Flags implements FlagValues {
  constructor(private spec: CommandSpec, private values: Record<string, unknown>) {}

  given(name: string): boolean {
    this.flag(name);
    const value = this.values[name];
    return value === true || typeof value === "string" ||
      (Array.isArray(value) && value.length > 0);
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
    return Array.isArray(value) ? value.map(String) : typeof value === "string" ? [value] : [];
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

  /** The last value given, else the declared default. */
  private raw(flag: FlagSpec): string | undefined {
    const value = this.values[flag.name];
    const last = Array.isArray(value) ? value.at(-1) : value;
    return typeof last === "string" ? last : flag.default;
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
