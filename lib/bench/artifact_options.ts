/**
 * Options of the commands that work on saved bench results (`tcpkit bench merge`,
 * `bench compare`, `bench plot`): their types and how they are built from the parsed
 * command line, with the rules that make an argument list a usage error. Pure.
 */

import { UsageError } from "../common/errors.ts";
import type { FlagValues } from "../common/flag_values.ts";

/** `tcpkit bench merge FILE...`. */
export interface MergeOptions {
  /** Saved results to merge, in the order given. */
  files: string[];
}

/** `tcpkit bench compare BASE NEW`. */
export interface CompareOptions {
  /** The result compared against. */
  base: string;
  /** The result compared with it. */
  next: string;
  /** One JSON document on stdout instead of the table. */
  json: boolean;
}

/** `tcpkit bench plot FILE... [-o PATH]`. */
export interface PlotOptions {
  /** Saved results, one curve each, in the order given. */
  files: string[];
  /** Where the SVG goes; undefined writes it on stdout. */
  output: string | undefined;
  /** Title above the chart; undefined uses the default. */
  title: string | undefined;
}

/** Builds `bench merge`'s options. */
export function mergeOptions(_flags: FlagValues, args: string[]): MergeOptions {
  // The same file twice would count its messages twice.
  return { files: distinct("bench merge", args) };
}

/** Builds `bench compare`'s options. */
export function compareOptions(flags: FlagValues, args: string[]): CompareOptions {
  return { base: args[0], next: args[1], json: flags.bool("json") };
}

/** Builds `bench plot`'s options. */
export function plotOptions(flags: FlagValues, args: string[]): PlotOptions {
  return {
    files: distinct("bench plot", args),
    output: flags.string("output"),
    title: flags.string("title"),
  };
}

function distinct(command: string, files: string[]): string[] {
  const twice = files.find((file, i) => files.indexOf(file) !== i);
  if (twice !== undefined) throw new UsageError(`${command}: "${twice}" is given twice`);
  return files;
}
