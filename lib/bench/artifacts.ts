/**
 * The I/O edge of the commands on saved results (`tcpkit bench merge`, `bench compare`,
 * `bench plot`) and of `bench --svg`: reads the files, hands them to the pure merge,
 * compare and plot code, writes the result on stdout or to a file, warnings on stderr.
 *
 * A file that cannot be read, is not a bench result, or does not go with the others is a
 * runtime failure (exit 1), as the command line itself was right; a wrong command line
 * (missing file name, unknown flag) is a usage error (exit 2) and never gets here.
 */

import { describeNetError, RuntimeError } from "../common/errors.ts";
import { colorFor, formatBytes } from "../common/format.ts";
import { writeAll } from "../common/io.ts";
import { writeStderrLine } from "../common/stderr.ts";
import type { CompareOptions, MergeOptions, PlotOptions } from "./artifact_options.ts";
import { compareResults, renderComparisonJson, renderComparisonText } from "./compare.ts";
import { mergeResults } from "./merge.ts";
import { type PlotSeries, renderPercentileChart } from "./plot.ts";
import {
  displayName,
  latencyHistogram,
  type NamedResult,
  parseSavedResult,
  renderSavedResult,
} from "./result.ts";
import type { BenchResult, BenchSpec } from "./report.ts";
import { LatencyHistogram } from "./stats.ts";

/** `tcpkit bench merge FILE...`: the merged result on stdout. */
export async function runMerge(options: MergeOptions): Promise<number> {
  const inputs = await readResults(options.files);
  const { merged, warnings } = mergeResults(inputs);
  for (const warning of warnings) writeStderrLine(`tcpkit: warning: ${warning}`);
  await writeStdout(renderSavedResult(merged));
  return 0;
}

/** `tcpkit bench compare BASE NEW`: the table (or `--json`) on stdout. */
export async function runCompare(options: CompareOptions): Promise<number> {
  const [base, next] = await Promise.all([readResult(options.base), readResult(options.next)]);
  const comparison = compareResults(base, next);
  await writeStdout(
    options.json
      ? renderComparisonJson(comparison)
      : renderComparisonText(comparison, colorFor(Deno.stdout)),
  );
  return 0;
}

/** `tcpkit bench plot FILE...`: the SVG to `-o PATH` or stdout. */
export async function runPlot(options: PlotOptions): Promise<number> {
  if (options.output !== undefined) await checkOutputPath(options.output, "--output");
  const inputs = await readResults(options.files);
  const series = inputs.map((named): PlotSeries => {
    const histogram = latencyHistogram(named.saved);
    if (histogram.count === 0) {
      const why = named.saved.spec.mode === "stream"
        ? "--mode stream measures no latency"
        : "no message completed";
      throw new RuntimeError(`nothing to plot in "${named.file}": ${why}`);
    }
    return { label: displayName(named), histogram };
  });
  const svg = renderPercentileChart(series, { title: options.title });
  if (options.output === undefined) await writeStdout(svg);
  else await writeTextFile(options.output, svg);
  return 0;
}

/**
 * Fails early, before a long run, when PATH cannot be an output file: its directory is
 * missing or it is a directory. (Permissions show when the file is written.)
 */
export async function checkOutputPath(path: string, flag: string): Promise<void> {
  const slash = path.lastIndexOf("/");
  const dir = slash < 0 ? "." : slash === 0 ? "/" : path.slice(0, slash);
  const isDir = async (p: string) => {
    try {
      return (await Deno.stat(p)).isDirectory;
    } catch {
      return false;
    }
  };
  if (!(await isDir(dir))) {
    throw new RuntimeError(`cannot write ${flag} "${path}": no directory "${dir}"`);
  }
  if (await isDir(path)) throw new RuntimeError(`cannot write ${flag} "${path}": a directory`);
}

/**
 * `bench --svg PATH`: draws the run's chart into PATH. A run that completed no message
 * has nothing to draw: PATH is left alone and stderr says so.
 */
export async function writeRunPlot(
  path: string,
  spec: Pick<BenchSpec, "target" | "embeddedServer" | "mode" | "connections" | "sizeBytes">,
  result: Pick<BenchResult, "latencyHistogram">,
): Promise<void> {
  const histogram = LatencyHistogram.decode(result.latencyHistogram);
  if (histogram.count === 0) {
    writeStderrLine(`tcpkit: no latency recorded; --svg "${path}" not written`);
    return;
  }
  const server = spec.embeddedServer ? " (embedded server)" : "";
  const label = `${spec.mode}, ${spec.connections} connection${
    spec.connections === 1 ? "" : "s"
  }, ${formatBytes(spec.sizeBytes)} messages`;
  const svg = renderPercentileChart([{ label, histogram }], {
    subtitle: `tcpkit bench ${spec.target}${server}`,
  });
  await writeTextFile(path, svg);
}

/** Reads the files one after the other: thousands of them never hold many descriptors. */
async function readResults(files: readonly string[]): Promise<NamedResult[]> {
  const results: NamedResult[] = [];
  for (const file of files) results.push(await readResult(file));
  return results;
}

async function readResult(file: string): Promise<NamedResult> {
  let text: string;
  try {
    text = await Deno.readTextFile(file);
  } catch (error) {
    throw new RuntimeError(`cannot read "${file}": ${describeNetError(error)}`);
  }
  return { file, saved: parseSavedResult(text, file) };
}

async function writeTextFile(path: string, text: string): Promise<void> {
  try {
    await Deno.writeTextFile(path, text);
  } catch (error) {
    throw new RuntimeError(`cannot write "${path}": ${describeNetError(error)}`);
  }
}

function writeStdout(text: string): Promise<void> {
  return writeAll(Deno.stdout, new TextEncoder().encode(text));
}
