/**
 * Runs a parsed invocation: wires signals, stdout and stderr to the command
 * implementations and returns the exit code. The edge between the CLI and the I/O.
 */

import { HELP_WIDTH, helpText } from "./help.ts";
import { defaultServeOptions, type Invocation } from "./parse.ts";
import type { ServeOptions } from "../serve/options.ts";
import { renderLogEvent } from "../serve/log.ts";
import { writeAll } from "../common/io.ts";
import denoJson from "../../deno.json" with { type: "json" };

// Each command's modules load only when it runs (static specifiers, so `deno compile`
// still bundles them): a server holding 10k connections does not carry bench's code.

/** `tcpkit --version` output. */
function versionText(): string {
  return `tcpkit ${denoJson.version} (deno ${Deno.version.deno}, v8 ${Deno.version.v8})\n`;
}

/**
 * The width help is laid out for on `stream`: the terminal's columns when it is one,
 * HELP_WIDTH otherwise (a pipe or file has no width; 100 reads well and diffs stably).
 */
export function helpWidth(stream: { isTerminal(): boolean } = Deno.stdout): number {
  if (!stream.isTerminal()) return HELP_WIDTH;
  try {
    const { columns } = Deno.consoleSize();
    return columns > 0 ? columns : HELP_WIDTH;
  } catch {
    return HELP_WIDTH; // A terminal that cannot report its size still gets readable help.
  }
}

/**
 * How this command line's stderr lines are written: JSON objects when serve runs with
 * `--log json`, so that the line of an error that ends it is one too; text otherwise.
 * Without an invocation (the command line itself is wrong), the last `--log` value typed
 * for serve decides.
 */
export function stderrFormat(argv: readonly string[], invocation?: Invocation): "text" | "json" {
  if (invocation !== undefined) {
    return invocation.command === "serve" ? invocation.options.log : "text";
  }
  if (argv[0] !== "serve") return "text";
  let format = "text";
  const flags = argv.includes("--") ? argv.slice(1, argv.indexOf("--")) : argv.slice(1);
  flags.forEach((arg, i) => {
    if (arg === "--log") format = flags[i + 1] ?? format;
    else if (arg.startsWith("--log=")) format = arg.slice("--log=".length);
  });
  return format === "json" ? "json" : "text";
}

/**
 * The line for the error that ends the command (`message` already one line): `tcpkit:
 * MESSAGE`, or with `--log json` an `error` event. A stack (TCPKIT_DEBUG) goes with it.
 */
export function fatalErrorLine(
  message: string,
  exitCode: number,
  format: "text" | "json",
  stack?: string,
): string {
  return renderLogEvent({ event: "error", message, exitCode, stack }, format, new Date());
}

/** Runs the invocation; resolves to the process exit code. */
export async function runInvocation(invocation: Invocation): Promise<number> {
  switch (invocation.command) {
    case "help":
      await writeStdout(helpText(invocation.topic, helpWidth()));
      return 0;
    case "version":
      await writeStdout(versionText());
      return 0;
    case "serve":
      if (invocation.options.stdio) {
        const { serveStdio } = await import("../serve/stdio.ts");
        const { stderrLogger } = await import("../serve/serve.ts");
        const { log, quiet } = invocation.options;
        return await serveStdio(invocation.options, stderrLogger(log, quiet));
      }
      return await runServe(invocation.options);
    case "connect": {
      const { runConnect } = await import("../connect/connect.ts");
      return await runConnect(invocation.options);
    }
    case "bench": {
      const { runBench } = await import("../bench/bench.ts");
      return await runBench(invocation.options, defaultServeOptions());
    }
    case "bench merge": {
      const { runMerge } = await import("../bench/artifacts.ts");
      return await runMerge(invocation.options);
    }
    case "bench compare": {
      const { runCompare } = await import("../bench/artifacts.ts");
      return await runCompare(invocation.options);
    }
    case "bench plot": {
      const { runPlot } = await import("../bench/artifacts.ts");
      return await runPlot(invocation.options);
    }
    case "completions": {
      const { completionScript } = await import("./completions.ts");
      await writeStdout(completionScript(invocation.shell));
      return 0;
    }
  }
}

async function runServe(options: ServeOptions): Promise<number> {
  const { serve, stderrLogger } = await import("../serve/serve.ts");
  const log = stderrLogger(options.log, options.quiet);
  const stop = new AbortController();
  const force = new AbortController();
  const onSignal = () => (stop.signal.aborted ? force : stop).abort();
  const signals: Deno.Signal[] = Deno.build.os === "windows" ? ["SIGINT"] : ["SIGINT", "SIGTERM"];
  // The listeners stay until the process exits: a signal that arrives after the summary
  // (a second `kill`, a supervisor's timeout) must not turn a clean exit 0 into 143.
  signals.forEach((s) => Deno.addSignalListener(s, onSignal));
  const summary = await serve(options, { log, stop: stop.signal, force: force.signal });
  log({ event: "summary", ...summary });
  return 0;
}

function writeStdout(text: string): Promise<void> {
  return writeAll(Deno.stdout, new TextEncoder().encode(text));
}
